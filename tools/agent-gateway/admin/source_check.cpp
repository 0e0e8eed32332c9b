// validate_source (source_edits.hpp): a source checked key by key against
// the contract's source types, independently of the agent's parser.
#include "tools/agent-gateway/admin/source_edits.hpp"

#include "base/text/duration.hpp"
#include "contract/source_keys.hpp"

#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace sr::gateway {

namespace json = boost::json;

namespace {

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool is_scalar(const json::value& v) { return v.is_string() || v.is_number() || v.is_bool(); }

const char* kind(const json::value& v) {
  if (v.is_object()) return "an object";
  if (v.is_array()) return "an array";
  if (v.is_bool()) return "a boolean";
  if (v.is_number()) return "a number";
  if (v.is_null()) return "null";
  return "a string";
}

bool is_duration_key(std::string_view key) {
  return key == "poll_interval" || key == "discovery_interval" || key == "sweep_interval" || key == "run_timeout";
}

// Durations read as the agent reads them: Go's syntax or nanoseconds; one
// that does not read falls back to the default (a warning, not an error).
void check_duration(std::string_view key, const json::value& v, std::vector<std::string>& warnings) {
  if (v.is_null() || (v.is_number() && v.to_number<double>() >= 0)) return;
  std::string why = fmt::format("must be a duration (\"90s\", \"5m\") or nanoseconds, not {}", kind(v));
  if (v.is_string()) {
    auto d = base::parse_duration(trimmed(v.get_string()));
    if (d.value) return;
    why = d.error;
  }
  warnings.push_back(fmt::format("{}: {}: the default is used", key, why));
}

// Queries are read strictly: a list read wrongly would sync devices nobody asked for.
std::string check_queries(const json::value& v) {
  if (v.is_null()) return {};
  if (!v.is_array()) return fmt::format("\"queries\" must be an array, not {}", kind(v));
  for (std::size_t i = 0; i < v.get_array().size(); ++i) {
    const auto* q = v.get_array()[i].if_object();
    if (!q) return fmt::format("\"queries\"[{}] must be an object", i);
    for (const char* field : {"label", "query"}) {
      const auto* f = q->if_contains(field);
      if (f && !f->is_null() && !is_scalar(*f)) return fmt::format("\"queries\"[{}].{} must be a string", i, field);
    }
  }
  return {};
}

// The credentials set (non-empty scalars); the others warned by key, never by value.
std::vector<std::string> credentials_set(const json::value* v, std::vector<std::string>& warnings) {
  std::vector<std::string> set;
  if (!v || v->is_null()) return set;
  if (!v->is_object()) {
    warnings.push_back(fmt::format("credentials must be an object of strings, not {}: ignored", kind(*v)));
    return set;
  }
  for (const auto& [key, value] : v->get_object()) {
    if (is_scalar(value) && !(value.is_string() && value.get_string().empty())) set.emplace_back(key);
    else if (!is_scalar(value) && !value.is_null())
      warnings.push_back(fmt::format("credentials.{} must be a string, not {}: ignored", std::string_view(key),
                                     kind(value)));
  }
  return set;
}

std::string check_endpoint(const json::object& source) {
  const auto* v = source.if_contains("endpoint");
  if (v && !v->is_null() && !is_scalar(*v)) return fmt::format("\"endpoint\" must be a string, not {}", kind(*v));
  if (!v || !v->is_string() || trimmed(v->get_string()).empty()) return "\"endpoint\" is required";
  auto url = boost::urls::parse_uri(trimmed(v->get_string()));
  // The endpoint may hold userinfo: never echo it.
  if (!url || url->host().empty() || (url->scheme() != "https" && url->scheme() != "http"))
    return "\"endpoint\" must be an https:// URL with a host";
  return {};
}

// What the type refuses to start without: an endpoint, one of its credentials.
std::string check_type_needs(const contract::SourceKeys& type, const json::object& source,
                             std::vector<std::string>& warnings) {
  const auto set = credentials_set(source.if_contains("credentials"), warnings);
  if (type.endpoint)
    if (auto why = check_endpoint(source); !why.empty()) return why;
  if (type.credentials.empty()) return {};
  for (const auto& key : type.credentials)
    if (std::find(set.begin(), set.end(), key) != set.end()) return {};
  std::string names;
  for (const auto& key : type.credentials) names += (names.empty() ? "" : " or ") + std::string(key);
  return fmt::format("\"credentials\": the {} source type needs {}", type.type, names);
}

// The source's type, trimmed and lower case as the agent reads it, or why not.
const contract::SourceKeys* source_type(const json::object& source, std::string& why) {
  const auto* type = source.if_contains("type");
  if (!type || !type->is_string() || trimmed(type->get_string()).empty()) {
    why = "\"type\" is missing (" + std::string(contract::source_type_list()) + ")";
    return nullptr;
  }
  std::string name(trimmed(type->get_string()));
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto* known = contract::find_source_type(name);
  if (!known)
    why = fmt::format("type \"{}\" is not one the agent runs ({})", name, contract::source_type_list());
  return known;
}

bool known_key(std::string_view key) {
  const auto common = contract::common_source_keys();
  return std::find(common.begin(), common.end(), key) != common.end() || contract::is_option_key(key) ||
         key == "enabled";
}

}  // namespace

std::string validate_source(const std::string& name, const json::object& source, std::vector<std::string>& warnings) {
  if (auto why = check_source_name(name); !why.empty()) return why;
  if (const auto* en = source.if_contains("enabled")) {
    const bool ok = en->is_bool() || (en->is_string() && (en->get_string() == "true" || en->get_string() == "false"));
    if (!ok) return "\"enabled\" must be true or false";
  }
  if (const auto* id = source.if_contains("agent_id"); id && !id->is_string()) return "\"agent_id\" must be a string";
  std::string why;
  const auto* type = source_type(source, why);
  if (!type) return why;
  if (auto bad = check_queries(source.contains("queries") ? source.at("queries") : json::value()); !bad.empty())
    return bad;
  std::vector<std::string> found;
  for (const auto& [key, value] : source) {
    if (is_duration_key(key)) check_duration(key, value, found);
    else if (!known_key(key)) found.push_back(fmt::format("unknown key \"{}\" ignored", std::string_view(key)));
  }
  why = check_type_needs(*type, source, found);
  for (const auto& w : found) warnings.push_back(fmt::format("source \"{}\": {}", name, w));
  return why;
}

}  // namespace sr::gateway
