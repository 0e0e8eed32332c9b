#include "sync/config/source_config.hpp"

#include "sync/config/duration.hpp"

#include <arpa/inet.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

namespace sr::sync {

namespace json = boost::json;

namespace {

const std::set<std::string, std::less<>> kKnownTypes = {"armis", "netbox", "faker"};
// Keys of the common schema that this agent does not use, accepted quietly.
const std::set<std::string, std::less<>> kIgnoredKeys = {"sweep_interval"};
// Adapter-specific keys kept as options.
const std::set<std::string, std::less<>> kOptionKeys = {"total_devices", "seed", "churn", "page_size"};

struct SourceError {
  std::string key, why;
};

std::string scalar_text(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_int64()) return std::to_string(v.get_int64());
  if (v.is_uint64()) return std::to_string(v.get_uint64());
  if (v.is_double()) return fmt::format("{}", v.get_double());
  if (v.is_bool()) return v.get_bool() ? "true" : "false";
  return {};
}

bool is_scalar(const json::value& v) {
  return v.is_string() || v.is_number() || v.is_bool();
}

std::string kind(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: return "a number";
    case json::kind::string: return "a string";
    case json::kind::array: return "an array";
    case json::kind::object: return "an object";
  }
  return "?";
}

std::optional<std::string> string_of(const json::value& v, std::string_view key, SourceError& err) {
  if (v.is_null()) return std::string();
  if (!v.is_string()) {
    err = {std::string(key), "must be a string, not " + kind(v)};
    return std::nullopt;
  }
  return std::string(v.get_string());
}

std::optional<std::chrono::nanoseconds> duration_of(const json::value& v, std::string_view key,
                                                    SourceError& err) {
  if (v.is_null()) return std::chrono::nanoseconds(0);
  DurationParse d;
  if (v.is_string()) {
    d = parse_duration(v.get_string());
  } else if (v.is_int64() && v.get_int64() >= 0) {
    d.value = std::chrono::nanoseconds(v.get_int64());
  } else if (v.is_uint64()) {
    d.value = std::chrono::nanoseconds(static_cast<std::int64_t>(
        std::min<std::uint64_t>(v.get_uint64(), INT64_MAX)));
  } else {
    d.error = "must be a duration (\"90s\", \"5m\") or nanoseconds, not " + kind(v);
  }
  if (!d.value) {
    err = {std::string(key), d.error};
    return std::nullopt;
  }
  return *d.value;
}

bool parse_source(const std::string& name, const json::object& obj, std::chrono::nanoseconds default_poll,
                  SourceConfig& out, SourceError& err, std::vector<std::string>& warnings) {
  out.name = name;
  for (const auto& kv : obj) {
    const std::string_view key = kv.key();
    const json::value& v = kv.value();
    auto text = [&](std::string& field) {
      auto s = string_of(v, key, err);
      if (!s) return false;
      field = std::move(*s);
      return true;
    };
    auto duration = [&](std::chrono::nanoseconds& field) {
      auto d = duration_of(v, key, err);
      if (!d) return false;
      field = *d;
      return true;
    };
    bool ok = true;
    if (key == "type") ok = text(out.type);
    else if (key == "endpoint") ok = text(out.endpoint);
    else if (key == "prefix") ok = text(out.prefix);
    else if (key == "agent_id") ok = text(out.agent_id);
    else if (key == "gateway_id") ok = text(out.gateway_id);
    else if (key == "partition") ok = text(out.partition);
    else if (key == "custom_field") ok = text(out.custom_field);
    else if (key == "sync_service_id") ok = text(out.sync_service_id);
    else if (key == "ca_file") ok = text(out.ca_file);
    else if (key == "poll_interval") ok = duration(out.poll_interval);
    else if (key == "discovery_interval") ok = duration(out.discovery_interval);
    else if (key == "sweep_interval") ok = duration(out.sweep_interval);
    else if (key == "run_timeout") ok = duration(out.run_timeout);
    else if (key == "credentials") {
      if (v.is_null()) continue;
      if (!v.is_object()) {
        err = {"credentials", "must be an object of strings, not " + kind(v)};
        return false;
      }
      for (const auto& c : v.get_object()) {
        if (!is_scalar(c.value())) {
          // Never echo a credential's value; its key is safe to name.
          err = {fmt::format("credentials.{}", std::string_view(c.key())), "must be a string, not " + kind(c.value())};
          return false;
        }
        out.credentials[std::string(c.key())] = scalar_text(c.value());
      }
    } else if (key == "queries") {
      if (v.is_null()) continue;
      if (!v.is_array()) {
        err = {"queries", "must be an array, not " + kind(v)};
        return false;
      }
      std::size_t i = 0;
      for (const auto& q : v.get_array()) {
        const std::string where = fmt::format("queries[{}]", i++);
        if (!q.is_object()) {
          err = {where, "must be an object, not " + kind(q)};
          return false;
        }
        QueryConfig qc;
        for (const auto& f : q.get_object()) {
          if (f.key() == "label" || f.key() == "query") {
            auto s = string_of(f.value(), fmt::format("{}.{}", where, std::string_view(f.key())), err);
            if (!s) return false;
            (f.key() == "label" ? qc.label : qc.query) = std::move(*s);
          } else if (f.key() == "sweep_modes" && f.value().is_array()) {
            for (const auto& m : f.value().get_array())
              if (m.is_string()) qc.sweep_modes.emplace_back(m.get_string());
          }
        }
        out.queries.push_back(std::move(qc));
      }
    } else if (key == "network_blacklist") {
      if (v.is_null()) continue;
      if (!v.is_array()) {
        err = {"network_blacklist", "must be an array of CIDRs, not " + kind(v)};
        return false;
      }
      std::size_t i = 0;
      for (const auto& c : v.get_array()) {
        const std::string where = fmt::format("network_blacklist[{}]", i++);
        if (!c.is_string()) {
          err = {where, "must be a CIDR string, not " + kind(c)};
          return false;
        }
        if (auto why = validate_cidr(c.get_string()); !why.empty()) {
          err = {where, why};
          return false;
        }
        out.network_blacklist.emplace_back(c.get_string());
      }
    } else if (key == "batch_size") {
      auto n = is_scalar(v) ? parse_int_text(scalar_text(v)) : std::nullopt;
      if (!n || *n < 0) {
        err = {"batch_size", "must be a non-negative integer"};
        return false;
      }
      out.batch_size = *n;
    } else if (key == "insecure_skip_verify") {
      auto b = v.is_null() ? std::optional<bool>(false)
                           : is_scalar(v) ? parse_bool_text(scalar_text(v)) : std::nullopt;
      if (!b) {
        err = {"insecure_skip_verify", "must be true or false"};
        return false;
      }
      out.insecure_skip_verify = *b;
    } else if (kOptionKeys.count(key)) {
      if (!is_scalar(v)) {
        err = {std::string(key), "must be a number or string, not " + kind(v)};
        return false;
      }
      out.options[std::string(key)] = scalar_text(v);
    } else if (!kIgnoredKeys.count(key)) {
      warnings.push_back(fmt::format("source \"{}\": unknown key \"{}\" ignored", name, key));
    }
    if (!ok) return false;
  }
  if (out.type.empty()) {
    err = {"type", "is missing"};
    return false;
  }
  if (out.poll_interval.count() == 0) out.poll_interval = default_poll;
  json::object fp = obj;
  fp["poll_interval"] = out.poll_interval.count();
  out.fingerprint = json::serialize(fp);
  return true;
}

}  // namespace

std::optional<std::string> SourceConfig::setting(const std::string& key) const {
  if (auto it = options.find(key); it != options.end()) return it->second;
  if (auto it = credentials.find(key); it != credentials.end()) return it->second;
  return std::nullopt;
}

std::optional<bool> parse_bool_text(std::string_view t) {
  if (t == "true" || t == "TRUE" || t == "True" || t == "1" || t == "yes") return true;
  if (t == "false" || t == "FALSE" || t == "False" || t == "0" || t == "no" || t.empty()) return false;
  return std::nullopt;
}

std::optional<std::int64_t> parse_int_text(std::string_view t) {
  std::int64_t n = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
  if (ec != std::errc() || p != t.data() + t.size() || t.empty()) return std::nullopt;
  return n;
}

std::optional<std::uint64_t> parse_size_text(std::string_view text) {
  std::uint64_t value = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || p == text.data()) return std::nullopt;
  std::string unit(p, text.data() + text.size());
  for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::uint64_t mult = 0;
  if (unit.empty() || unit == "b") mult = 1;
  else if (unit == "k" || unit == "kb" || unit == "kib") mult = 1ull << 10;
  else if (unit == "m" || unit == "mb" || unit == "mib") mult = 1ull << 20;
  else if (unit == "g" || unit == "gb" || unit == "gib") mult = 1ull << 30;
  else return std::nullopt;
  if (value > UINT64_MAX / mult) return std::nullopt;
  return value * mult;
}

std::string validate_cidr(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return fmt::format("\"{}\" is not a CIDR (no /prefix)", text);
  const std::string addr(text.substr(0, slash));
  const auto bits = parse_int_text(text.substr(slash + 1));
  unsigned char buf[16];
  int max = 0;
  if (::inet_pton(AF_INET, addr.c_str(), buf) == 1) max = 32;
  else if (::inet_pton(AF_INET6, addr.c_str(), buf) == 1) max = 128;
  else return fmt::format("\"{}\" is not a CIDR (bad address)", text);
  if (!bits || *bits < 0 || *bits > max)
    return fmt::format("\"{}\" is not a CIDR (prefix length must be 0..{})", text, max);
  return {};
}

SourcesConfig parse_sources(std::string_view config_json) {
  SourcesConfig out;
  if (config_json.empty()) return out;
  boost::system::error_code ec;
  auto doc = json::parse(config_json, ec);
  if (ec) {
    out.fatal = "config_json is not valid JSON: " + ec.message();
    return out;
  }
  if (!doc.is_object()) {
    out.fatal = "config_json must be a JSON object, not " + kind(doc);
    return out;
  }
  const auto& root = doc.get_object();
  std::chrono::nanoseconds default_poll{0};
  if (const auto* p = root.if_contains("poll_interval")) {
    SourceError err;
    if (auto d = duration_of(*p, "poll_interval", err)) default_poll = *d;
    else out.errors.push_back("config_json: poll_interval " + err.why + ": sources without one keep their default");
  }
  const auto* sources = root.if_contains("sources");
  if (!sources || sources->is_null()) return out;
  if (!sources->is_object()) {
    out.fatal = "config_json: sources must be an object, not " + kind(*sources);
    return out;
  }
  for (const auto& kv : sources->get_object()) {
    const std::string name(kv.key());
    if (!kv.value().is_object()) {
      out.errors.push_back(fmt::format("source \"{}\" skipped: must be an object, not {}", name, kind(kv.value())));
      continue;
    }
    SourceConfig source;
    SourceError err;
    if (!parse_source(name, kv.value().get_object(), default_poll, source, err, out.warnings)) {
      out.errors.push_back(fmt::format("source \"{}\" skipped: {} {}", name, err.key, err.why));
      continue;
    }
    if (!kKnownTypes.count(source.type)) {
      out.warnings.push_back(fmt::format("source \"{}\" skipped: type \"{}\" is not armis, netbox or faker",
                                         name, source.type));
      continue;
    }
    out.sources.push_back(std::move(source));
  }
  return out;
}

}  // namespace sr::sync
