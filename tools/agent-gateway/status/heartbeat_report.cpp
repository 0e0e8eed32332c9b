#include "tools/agent-gateway/status/heartbeat_report.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace sr::gateway {

namespace json = boost::json;

namespace {

using Result = base::Expected<std::vector<SourceReport>>;

// Reads `key` of `obj` into `out` when present; false when it has the wrong type.
bool read_text(const json::object& obj, const char* key, std::string& out) {
  const auto* v = obj.if_contains(key);
  if (!v || v->is_null()) return true;
  if (!v->is_string()) return false;
  out = v->get_string();
  return true;
}

bool read_count(const json::object& obj, const char* key, std::uint64_t& out) {
  const auto* v = obj.if_contains(key);
  if (!v || v->is_null()) return true;
  if (v->is_uint64()) out = v->get_uint64();
  else if (v->is_int64() && v->get_int64() >= 0) out = static_cast<std::uint64_t>(v->get_int64());
  else return false;
  return true;
}

std::string read_source(const std::string& name, const json::object& obj, SourceReport& r) {
  const std::string where = "sources." + name + ".";
  r.name = name;
  for (auto [key, field] : {std::pair{"type", &r.type}, {"last_run", &r.last_run}, {"result", &r.result},
                            {"error", &r.error}, {"stage", &r.stage}, {"send_error", &r.send_error}})
    if (!read_text(obj, key, *field)) return where + key + ": not a string";
  for (auto [key, field] : {std::pair{"devices", &r.devices}, {"runs_sent", &r.runs_sent},
                            {"send_failures", &r.send_failures}, {"retries", &r.retries}})
    if (!read_count(obj, key, *field)) return where + key + ": not a count";
  return {};
}

}  // namespace

Result parse_sync_heartbeat(std::string_view message, const std::string& agent_id, std::int64_t now) {
  boost::system::error_code ec;
  const json::value doc = json::parse(message, ec);
  if (ec) return Result::failure("sync status is not JSON: " + ec.message());
  const auto* top = doc.if_object();
  if (!top) return Result::failure("sync status: not a JSON object");
  std::vector<SourceReport> reports;
  const auto* sources = top->if_contains("sources");
  if (!sources || sources->is_null()) return reports;
  if (!sources->is_object()) return Result::failure("sync status: \"sources\" is not an object");
  for (const auto& [name, value] : sources->get_object()) {
    const auto* obj = value.if_object();
    if (!obj) return Result::failure("sources." + std::string(name) + ": not an object");
    SourceReport r;
    if (auto why = read_source(std::string(name), *obj, r); !why.empty()) return Result::failure(why);
    r.agent_id = agent_id;
    r.reported_at = now;
    reports.push_back(std::move(r));
  }
  return reports;
}

}  // namespace sr::gateway
