// The last good config, kept in the state directory so a restart without
// the gateway still runs the last sources. The config holds integration
// credentials, so by default the file is sealed with AES-256-GCM under a key
// derived from the agent's private key (only the holder of that key, the
// agent itself, can read it back); `config_cache: plain` stores it readable
// (mode 0600) for those who opt in, `off` keeps nothing on disk.
//
// In sealed mode only a sealed file that authenticates under this agent's
// key is ever applied: a plain file (planted, or left from `plain`), one
// sealed under another key, or a damaged one is refused and removed, so
// nothing unauthenticated runs and no plain credential stays on disk.
// When the agent's key is rotated (SIGHUP), rekey() re-seals the cache under
// the key derived from the new material.
//
// Writes are durable (base::write_file_durably: 0600, fsync, rename, directory
// fsync) and so block: the *_in_background calls run them, in order, on the
// cache's own thread, never on an event loop's.
#pragma once

#include "base/expected.hpp"

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace sr::agent {

enum class CacheMode { sealed, plain, off };

struct CachedConfig {
  std::string version, config_json;
};

struct CacheLoad {
  std::optional<CachedConfig> config;
  std::string why;       // without a config: why not, naming the file
  bool refused = false;  // a file was there and could not be trusted or used: removed (worth a warning)
  explicit operator bool() const noexcept { return config.has_value(); }
  const CachedConfig* operator->() const { return &*config; }
};

struct Rekeyed {
  bool resealed = false;  // the cache file is now sealed under the new key
  std::string warning;    // what went wrong (the file was removed if it could not be trusted)
};

class ConfigCache {
 public:
  static constexpr const char* kFileName = "config-cache.json";

  // `key_pem`: the agent's private key (the sealing key is derived from it);
  // empty means only `plain` can work.
  ConfigCache(std::filesystem::path state_dir, CacheMode mode, std::string key_pem);
  ~ConfigCache();  // finishes the background work queued so far
  ConfigCache(const ConfigCache&) = delete;
  ConfigCache& operator=(const ConfigCache&) = delete;

  // Durably replaces the cache file: "" or why it could not.
  std::string save(const CachedConfig& config);
  // The cached config, or why there is none (see CacheLoad).
  CacheLoad load();
  // Takes the rotated private key: the cache sealed under the previous key
  // is re-sealed under the new one (or, if it cannot be opened, removed).
  // An empty key (unreadable after the reload) keeps the previous one.
  Rekeyed rekey(std::string key_pem);

  // save() and rekey() on the cache's own thread, in the order called;
  // failures are logged. flush() waits for what is queued.
  void save_in_background(CachedConfig config);
  void rekey_in_background(std::string key_pem);
  void flush();

  const std::filesystem::path& path() const noexcept { return path_; }
  CacheMode mode() const noexcept { return mode_; }

 private:
  CacheLoad load_locked();
  std::string save_locked(const CachedConfig& config);
  CacheLoad refuse(std::string why);
  void post(std::function<void()> job);
  void work();

  const std::filesystem::path path_;
  const CacheMode mode_;
  std::mutex mu_;  // the file and key_pem_
  std::string key_pem_;

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<std::function<void()>> queue_;
  bool busy_ = false, stopping_ = false;
  std::thread worker_;  // started by the first background call
};

}  // namespace sr::agent
