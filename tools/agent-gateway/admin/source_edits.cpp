#include "tools/agent-gateway/admin/source_edits.hpp"

#include "sync/config/source_config.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include <algorithm>

namespace sr::gateway {

namespace json = boost::json;

std::string check_source_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return "a source name has 1 to 64 characters";
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return "a source name has only letters, digits, '.', '_' and '-'";
  }
  return {};
}

json::object redacted_source(const json::object& source) {
  json::object out;
  for (const auto& [key, value] : source) {
    if (key != "credentials") {
      out.emplace(key, value);
      continue;
    }
    std::vector<std::string> names;
    if (const auto* creds = value.if_object())
      for (const auto& c : *creds) names.emplace_back(c.key());
    std::sort(names.begin(), names.end());
    json::array list;
    for (auto& n : names) list.emplace_back(n);
    out["credentials"] = std::move(list);
  }
  return out;
}

std::string merge_patch(json::object& source, const json::object& patch) {
  for (const auto& [key, value] : patch) {
    if (key == "name") return "\"name\" cannot change: create a new source and delete this one";
    if (key != "credentials") {
      if (value.is_null()) source.erase(key);
      else source[key] = value;
      continue;
    }
    if (value.is_null()) {
      source.erase("credentials");
      continue;
    }
    if (!value.is_object()) return "\"credentials\" must be an object (a key set to null removes it)";
    auto& creds = source["credentials"];
    if (!creds.is_object()) creds = json::object{};
    for (const auto& [ckey, cvalue] : value.get_object()) {
      if (cvalue.is_null()) creds.get_object().erase(ckey);
      else creds.get_object()[ckey] = cvalue;
    }
  }
  return {};
}

namespace {

bool has_credential(const sync::SourceConfig& source, std::initializer_list<const char*> keys) {
  for (const char* k : keys) {
    auto it = source.credentials.find(k);
    if (it != source.credentials.end() && !it->second.empty()) return true;
  }
  return false;
}

// What the adapters refuse to start without (they say so too, but only at
// run time), judged on the source as the agent reads it.
std::string adapter_needs(const sync::SourceConfig& source) {
  if (source.type == "armis" && !has_credential(source, {"api_key", "api_secret", "secret_key"}))
    return "\"credentials\": an Armis source needs api_key (and api_secret) or secret_key";
  if (source.type == "netbox" && !has_credential(source, {"api_token", "token"}))
    return "\"credentials\": a NetBox source needs api_token (or token)";
  return {};
}

}  // namespace

std::string validate_source(const std::string& name, const json::object& source,
                            std::vector<std::string>& warnings) {
  if (auto why = check_source_name(name); !why.empty()) return why;
  json::object as_agent_sees_it = source;
  if (const auto* en = source.if_contains("enabled")) {
    const bool ok = en->is_bool() || (en->is_string() && (en->get_string() == "true" || en->get_string() == "false"));
    if (!ok) return "\"enabled\" must be true or false";
    as_agent_sees_it.erase("enabled");
  }
  if (const auto* id = source.if_contains("agent_id")) {
    if (!id->is_string()) return "\"agent_id\" must be a string";
    as_agent_sees_it.erase("agent_id");
  }
  const auto* type = source.if_contains("type");
  if (!type || !type->is_string() || type->get_string().empty()) return "\"type\" is missing (armis, netbox or faker)";
  const auto parsed = sync::parse_sources(
      json::serialize(json::object{{"sources", json::object{{name, std::move(as_agent_sees_it)}}}}));
  if (!parsed.fatal.empty()) return parsed.fatal;
  if (!parsed.errors.empty()) return parsed.errors.front();
  if (parsed.sources.empty())
    return parsed.warnings.empty() ? "the source was not accepted" : parsed.warnings.front();
  warnings.insert(warnings.end(), parsed.warnings.begin(), parsed.warnings.end());
  const auto& read = parsed.sources.front();
  for (const auto& w : read.warnings) warnings.push_back(fmt::format("source \"{}\": {}", name, w));
  return adapter_needs(read);
}

}  // namespace sr::gateway
