#include "tools/agent-gateway/admin/command_order.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace sr::gateway {

namespace json = boost::json;

namespace {

constexpr std::int64_t kDefaultTtl = 300, kMaxTtl = 86400;
constexpr std::string_view kKnownFields[] = {"tenant",      "agent_id",   "command_type",
                                             "payload",     "ttl_seconds", "created_at",
                                             "command_id"};

// Sets `out` from o[key] (left alone when absent and optional); returns the
// error naming the field, or "".
std::string read_text(const json::object& o, std::string_view key, bool required,
                      std::string& out) {
  const auto* v = o.if_contains(key);
  if (!v) return required ? fmt::format("\"{}\" is required", key) : std::string{};
  if (!v->is_string() || v->as_string().empty())
    return fmt::format("\"{}\" must be a non-empty string", key);
  out = std::string(v->as_string());
  return {};
}

std::string read_integer(const json::object& o, std::string_view key, std::int64_t& out) {
  const auto* v = o.if_contains(key);
  if (!v) return {};
  if (v->is_int64()) out = v->as_int64();
  else if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    out = static_cast<std::int64_t>(v->as_uint64());
  else return fmt::format("\"{}\" must be an integer", key);
  return {};
}

std::string check_fields(const json::object& o) {
  for (const auto& field : o) {
    if (std::find(std::begin(kKnownFields), std::end(kKnownFields), field.key()) ==
        std::end(kKnownFields))
      return fmt::format("unknown field \"{}\"", std::string_view(field.key()));
  }
  return {};
}

}  // namespace

std::variant<CommandOrder, std::string> parse_command_order(std::string_view body,
                                                           std::int64_t now,
                                                           std::uint64_t sequence) {
  boost::system::error_code ec;
  auto doc = json::parse(body, ec);
  if (ec) return fmt::format("the body is not JSON: {}", ec.message());
  if (!doc.is_object()) return std::string("the body must be a JSON object");
  const auto& o = doc.as_object();
  if (auto e = check_fields(o); !e.empty()) return e;

  CommandOrder order;
  std::string type, id = fmt::format("cmd-{}-{}", now, sequence);
  std::int64_t ttl = kDefaultTtl, created_at = now;
  for (auto e : {read_text(o, "tenant", true, order.agent.tenant),
                 read_text(o, "agent_id", true, order.agent.agent_id),
                 read_text(o, "command_type", true, type),
                 read_text(o, "command_id", false, id), read_integer(o, "ttl_seconds", ttl),
                 read_integer(o, "created_at", created_at)}) {
    if (!e.empty()) return e;
  }
  if (ttl < 1 || ttl > kMaxTtl)
    return fmt::format("\"ttl_seconds\" must be 1..{}, not {}", kMaxTtl, ttl);
  if (created_at < 0) return std::string("\"created_at\" must not be negative");

  auto& r = order.request;
  r.set_command_id(std::move(id));
  r.set_command_type(std::move(type));
  r.set_ttl_seconds(ttl);
  r.set_created_at(created_at);
  if (const auto* payload = o.if_contains("payload")) r.set_payload_json(json::serialize(*payload));
  return order;
}

}  // namespace sr::gateway
