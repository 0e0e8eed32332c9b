// The last good config, kept in the state directory so a restart without
// the gateway still runs the last sources. The config holds integration
// credentials, so by default the file is sealed with AES-256-GCM under a key
// derived from the agent's private key (only the holder of that key, the
// agent itself, can read it back); `config_cache: plain` stores it readable
// (mode 0600) for those who opt in, `off` keeps nothing on disk.
#pragma once

#include "net/expected.hpp"

#include <filesystem>
#include <string>

namespace sr::agent {

enum class CacheMode { sealed, plain, off };

struct CachedConfig {
  std::string version, config_json;
};

class ConfigCache {
 public:
  // `key_pem`: the agent's private key (the sealing key is derived from it);
  // empty means only `plain` can work.
  ConfigCache(std::filesystem::path state_dir, CacheMode mode, std::string key_pem);

  // Atomically replaces the cache file: "" or why it could not.
  std::string save(const CachedConfig& config) const;
  // The cached config; a failure says why (none, other key, damaged).
  net::Expected<CachedConfig> load() const;

  const std::filesystem::path& path() const noexcept { return path_; }
  CacheMode mode() const noexcept { return mode_; }

 private:
  std::filesystem::path path_;
  CacheMode mode_;
  std::string key_pem_;
};

}  // namespace sr::agent
