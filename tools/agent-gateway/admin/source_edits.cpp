#include "tools/agent-gateway/admin/source_edits.hpp"

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

}  // namespace sr::gateway
