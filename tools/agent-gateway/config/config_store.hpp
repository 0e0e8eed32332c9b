// The gateway's integration config: `<dir>/<tenant>.json` per tenant,
//   {"sources": {"<name>": {SourceConfig keys..., "enabled": true, "agent_id": "..."}},
//    "poll_interval": "10m"}
// `enabled` (default true; "true"/"false" strings accepted) and `agent_id`
// (an optional assignment) are the store's own keys; every other key of a
// source is passed through unchanged.
//
// config_json is canonical so that equal content always has the same version:
// object keys sorted (byte order) at every depth, no whitespace, strings and
// numbers as Boost.JSON writes them. config_version = "v" + hex SHA-256 of it.
//
// Bad input never stops the store: a file that does not parse keeps the
// tenant's previous content, a bad source is skipped; both are listed by
// errors(), naming the file, the source and the key.
// Not thread-safe: the gateway calls it under one lock.
#pragma once

#include "base/expected.hpp"

#include <boost/json/fwd.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace sr::gateway {

struct AgentConfig {
  std::string config_json;
  std::string config_version;
  std::int64_t config_timestamp = 0;  // Unix s of the tenant file's last change
};

class ConfigStore {
 public:
  static constexpr std::uintmax_t kMaxFileBytes = 4u << 20;

  // Removes (and logs) temporaries an interrupted write_document() left in `dir`.
  explicit ConfigStore(std::filesystem::path dir);
  ~ConfigStore();
  ConfigStore(const ConfigStore&) = delete;
  ConfigStore& operator=(const ConfigStore&) = delete;

  // Rereads changed, added and removed files; returns the tenants whose
  // content changed since the last call.
  std::vector<std::string> reload();
  AgentConfig config_for(const std::string& tenant, const std::string& agent_id) const;
  std::vector<std::string> errors() const;
  std::vector<std::string> tenants() const;

  // For edits (the admin API). The tenant's file as written, store keys and
  // all ({} when there is none); an error naming the file when it cannot be
  // read or parsed: an edit would lose what is there.
  base::Expected<boost::json::object> document(const std::string& tenant) const;
  // Writes the tenant's file durably (base::write_file_durably: a 0600
  // temporary beside it, fsync, rename, directory fsync): readers see the old
  // file or the new one, and only the gateway's user can read either. ""
  // or the error naming the path. reload() picks it up. Blocks on fsync.
  std::string write_document(const std::string& tenant, const boost::json::object& doc);

 private:
  struct Tenant;
  // One tenant file: reread when its mtime or size moved. Returns its tenant
  // ("" for a file that names none); `changed` gets it when its content did.
  std::string reload_file(const std::filesystem::path& path, std::vector<std::string>& changed);
  // Tenants whose file is gone, and errors of files that are gone.
  void forget_missing(const std::map<std::string, bool>& seen, std::vector<std::string>& changed);

  std::filesystem::path dir_;
  std::map<std::string, std::unique_ptr<Tenant>> tenants_;
  std::map<std::string, std::vector<std::string>> errors_;  // by file name
};

// Exposed for tests: the canonical text of a JSON document.
std::string canonical_json(std::string_view json_text);

}  // namespace sr::gateway
