#include "tools/agent-gateway/config/config_store.hpp"

#include "base/durable_file.hpp"
#include "base/log/logger.hpp"
#include "base/read_file.hpp"
#include "net/tls/peer_identity.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/stream_parser.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <fmt/core.h>
#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <optional>

namespace sr::gateway {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

void write_canonical(const json::value& v, std::string& out) {
  if (const auto* obj = v.if_object()) {
    std::vector<const json::key_value_pair*> items;
    for (const auto& kv : *obj) items.push_back(&kv);
    std::sort(items.begin(), items.end(),
              [](auto* a, auto* b) { return a->key() < b->key(); });
    out += '{';
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i) out += ',';
      out += json::serialize(json::string(items[i]->key()));
      out += ':';
      write_canonical(items[i]->value(), out);
    }
    out += '}';
  } else if (const auto* arr = v.if_array()) {
    out += '[';
    for (std::size_t i = 0; i < arr->size(); ++i) {
      if (i) out += ',';
      write_canonical((*arr)[i], out);
    }
    out += ']';
  } else {
    out += json::serialize(v);
  }
}

std::string canonical(const json::value& v) {
  std::string out;
  write_canonical(v, out);
  return out;
}

std::string sha256_hex(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

std::int64_t unix_seconds(fs::file_time_type t) {
  const auto sys = std::chrono::file_clock::to_sys(t);
  return std::chrono::duration_cast<std::chrono::seconds>(sys.time_since_epoch()).count();
}

// Line and column (1-based) of a byte offset, for parse errors.
std::string position_of(std::string_view text, std::size_t offset) {
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return fmt::format("line {}, column {}", line, column);
}

std::optional<bool> lenient_bool(const json::value& v) {
  if (v.is_bool()) return v.get_bool();
  if (v.is_string()) {
    if (v.get_string() == "true") return true;
    if (v.get_string() == "false") return false;
  }
  return std::nullopt;
}

}  // namespace

struct ConfigStore::Tenant {
  fs::file_time_type mtime{};
  std::uintmax_t size = 0;
  json::object sources;            // valid sources only, store keys included
  json::value poll_interval;       // null when absent
  std::string fingerprint;         // canonical content, to tell real changes
};

ConfigStore::ConfigStore(fs::path dir) : dir_(std::move(dir)) {
  // An edit interrupted by a crash leaves its temporary (with the tenant's
  // credentials in it): nothing reads it, so it goes before anything else runs.
  const auto swept = base::remove_write_leftovers(dir_);
  for (const auto& name : swept.removed) log::info({}, fmt::format("store: removed {} left by an interrupted write in {}", name, dir_.string()));
  for (const auto& err : swept.errors) log::warn({}, fmt::format("store: {}", err));
}
ConfigStore::~ConfigStore() = default;

namespace {

struct Parsed {
  json::object sources;
  json::value poll_interval;
  std::vector<std::string> errors;
};

// Validates a tenant file's document; bad sources are dropped with an error.
Parsed validate(const std::string& file, json::value doc) {
  Parsed p;
  auto* top = doc.if_object();
  if (!top) {
    p.errors.push_back(file + ": top level must be a JSON object");
    return p;
  }
  if (auto* poll = top->if_contains("poll_interval")) p.poll_interval = *poll;
  auto* sources = top->if_contains("sources");
  if (!sources) return p;
  if (!sources->is_object()) {
    p.errors.push_back(file + ": \"sources\" must be an object of named sources");
    return p;
  }
  for (auto& kv : sources->as_object()) {
    const std::string where = fmt::format("{}: source '{}'", file, std::string(kv.key()));
    auto* source = kv.value().if_object();
    if (!source) {
      p.errors.push_back(where + ": not an object");
      continue;
    }
    const auto* type = source->if_contains("type");
    if (!type || !type->is_string() || type->get_string().empty()) {
      p.errors.push_back(where + ": missing \"type\"");
      continue;
    }
    if (const auto* en = source->if_contains("enabled"); en && !lenient_bool(*en)) {
      p.errors.push_back(where + ": \"enabled\" must be true or false");
      continue;
    }
    if (const auto* id = source->if_contains("agent_id"); id && !id->is_string()) {
      p.errors.push_back(where + ": \"agent_id\" must be a string");
      continue;
    }
    p.sources.emplace(kv.key(), std::move(*source));
  }
  return p;
}

// The store file, capped (base/read_file): errors name the path and why.
std::optional<std::string> read_store_file(const fs::path& path, std::string& error) {
  auto text = base::read_small_file(path, ConfigStore::kMaxFileBytes);
  if (!text) {
    error = text.error();
    return std::nullopt;
  }
  return std::move(*text);
}

std::optional<json::value> parse_file(const std::string& file, const std::string& text,
                                      std::string& error) {
  json::stream_parser parser;
  boost::system::error_code ec;
  std::size_t used = parser.write(text.data(), text.size(), ec);
  if (!ec) {
    used = text.size();
    parser.finish(ec);
  }
  if (ec) {
    error = fmt::format("{}: not JSON: {} at {}", file, ec.message(), position_of(text, used));
    return std::nullopt;
  }
  return parser.release();
}

}  // namespace

std::string ConfigStore::reload_file(const fs::path& path, std::vector<std::string>& changed) {
  const std::string file = path.filename().string();
  if (path.extension() != ".json" || file.front() == '.') return {};  // editors' temp files
  const std::string tenant = path.stem().string();
  if (!net::tls::valid_tenant_slug(tenant)) {
    errors_[file] = {file + ": '" + tenant + "' is not a tenant slug (a-z, 0-9, '-')"};
    return {};
  }
  if (tenant == "platform") {
    errors_[file] = {file + ": tenant 'platform' is reserved"};
    return {};
  }
  auto& slot = tenants_[tenant];
  std::error_code ec;
  const auto mtime = fs::last_write_time(path, ec);
  const auto size = fs::file_size(path, ec);
  if (slot && slot->mtime == mtime && slot->size == size) return tenant;

  std::string error;
  auto text = read_store_file(path, error);
  std::optional<json::value> doc;
  if (text) doc = parse_file(file, *text, error);
  if (!doc) {
    errors_[file] = {error};  // keep the previous content, if any
    if (!slot) {
      slot = std::make_unique<Tenant>();
      slot->mtime = mtime;
      slot->size = size;
    }
    return tenant;
  }
  auto parsed = validate(file, std::move(*doc));
  errors_[file] = std::move(parsed.errors);
  if (errors_[file].empty()) errors_.erase(file);
  auto fresh = std::make_unique<Tenant>();
  fresh->mtime = mtime;
  fresh->size = size;
  fresh->sources = std::move(parsed.sources);
  fresh->poll_interval = std::move(parsed.poll_interval);
  fresh->fingerprint = canonical(json::object{{"p", fresh->poll_interval}, {"s", fresh->sources}});
  if (!slot || slot->fingerprint != fresh->fingerprint) changed.push_back(tenant);
  slot = std::move(fresh);
  return tenant;
}

void ConfigStore::forget_missing(const std::map<std::string, bool>& seen, std::vector<std::string>& changed) {
  for (auto it = tenants_.begin(); it != tenants_.end();) {
    if (seen.count(it->first)) {
      ++it;
      continue;
    }
    errors_.erase(it->first + ".json");
    changed.push_back(it->first);
    it = tenants_.erase(it);
  }
  for (auto it = errors_.begin(); it != errors_.end();) {  // files that are gone
    const bool gone = it->first != "(store)" && !fs::exists(dir_ / it->first);
    it = gone ? errors_.erase(it) : std::next(it);
  }
}

std::vector<std::string> ConfigStore::reload() {
  std::vector<std::string> changed;
  std::map<std::string, bool> seen;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    if (auto tenant = reload_file(entry.path(), changed); !tenant.empty()) seen[tenant] = true;
  }
  if (ec) errors_["(store)"] = {"cannot list " + dir_.string() + ": " + ec.message()};
  else errors_.erase("(store)");
  forget_missing(seen, changed);
  std::sort(changed.begin(), changed.end());
  return changed;
}

AgentConfig ConfigStore::config_for(const std::string& tenant, const std::string& agent_id) const {
  json::object sources;
  AgentConfig out;
  json::object doc{{"agent_id", agent_id}};
  if (auto it = tenants_.find(tenant); it != tenants_.end()) {
    const Tenant& t = *it->second;
    for (const auto& kv : t.sources) {
      json::object source = kv.value().as_object();
      if (auto* en = source.if_contains("enabled"); en && !*lenient_bool(*en)) continue;
      if (auto* id = source.if_contains("agent_id"); id && id->get_string() != agent_id) continue;
      source.erase("enabled");
      source.erase("agent_id");
      sources.emplace(kv.key(), std::move(source));
    }
    if (!t.poll_interval.is_null()) doc["poll_interval"] = t.poll_interval;
    out.config_timestamp = unix_seconds(t.mtime);
  }
  doc["sources"] = std::move(sources);
  out.config_json = canonical(doc);
  out.config_version = "v" + sha256_hex(out.config_json);
  return out;
}

std::vector<std::string> ConfigStore::errors() const {
  std::vector<std::string> out;
  for (const auto& [file, list] : errors_) out.insert(out.end(), list.begin(), list.end());
  return out;
}

std::vector<std::string> ConfigStore::tenants() const {
  std::vector<std::string> out;
  for (const auto& [tenant, t] : tenants_)
    if (t) out.push_back(tenant);
  return out;
}

base::Expected<json::object> ConfigStore::document(const std::string& tenant) const {
  using Result = base::Expected<json::object>;
  const auto path = dir_ / (tenant + ".json");
  std::error_code ec;
  if (!fs::exists(path, ec)) return json::object{};
  std::string error;
  auto text = read_store_file(path, error);
  if (!text) return Result::failure(error);
  auto doc = parse_file(path.filename().string(), *text, error);
  if (!doc) return Result::failure(error);
  if (!doc->is_object()) return Result::failure(path.filename().string() + ": top level must be a JSON object");
  return std::move(doc->as_object());
}

std::string ConfigStore::write_document(const std::string& tenant, const json::object& doc) {
  const auto path = dir_ / (tenant + ".json");
  // The file holds the tenant's credentials: 0600 whatever the umask, and
  // on disk (fsync, rename, directory fsync) before the edit is answered.
  return base::write_file_durably(path, json::serialize(doc) + '\n');
}

std::string canonical_json(std::string_view json_text) { return canonical(json::parse(json_text)); }

}  // namespace sr::gateway
