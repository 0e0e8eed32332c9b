// The agent's minimal bootstrap: where the gateway is and which certificate
// to present. Read from a small JSON file, then the environment, then flags
// (each overriding the one before). Everything about integrations comes from
// the gateway later; nothing else is read from disk.
//
// The file may also have the upstream Go agent's shape (gateway_security,
// logging, sync_runtime_enabled and keys of features this agent does not
// have): see "Migrating from the upstream agent" in the README.
#pragma once

#include "base/expected.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sr::agent {

struct BootstrapConfig {
  std::string gateway_addr;                 // host:port (required)
  std::string cert_file, key_file, ca_file; // required unless allow_insecure
  std::string server_name;                  // TLS name to expect, if not the host
  // Optional: the gateway's certificate must be signed directly by a CA in
  // this file (agent/gateway/gateway_pin.hpp); empty: ca_file's chain only.
  std::string gateway_issuer_file;
  std::string agent_id, partition;          // informational: the certificate is the identity
  std::string state_dir = "/var/lib/serviceradar/agent";
  std::string log_level = "info";           // debug, info, warn, error (normalised)
  std::string log_format = "text";          // text, json
  std::string metrics_addr;                 // empty: no HTTP endpoint
  unsigned threads = 2;
  bool allow_insecure = false;              // plaintext gRPC, loudly
  // Lower bound of the GetConfig poll interval (the contract says 30 s);
  // tests lower it.
  std::chrono::milliseconds min_poll_interval{std::chrono::seconds(30)};
  // Sync runtime.
  std::uint64_t spool_memory = 8ull << 20;    // chunk bytes held in RAM before spilling to disk
  std::uint64_t spool_disk_cap = 2ull << 30;  // spool files, all sources together
  std::chrono::milliseconds run_timeout{std::chrono::minutes(10)};  // per run, unless the source sets one
  std::chrono::milliseconds min_sync_interval{std::chrono::seconds(10)};  // floor of source intervals
  std::string config_cache = "sealed";  // sealed | plain | off (see agent/state/config_cache.hpp)
  // false: the control plane runs (enrolment, config, heartbeats) but no source does.
  bool sync_runtime_enabled = true;
  // Message compression of StreamStatus (the device data): none | gzip.
  // Control-plane calls are never compressed.
  std::string grpc_compression = "none";
};

struct Bootstrap {
  BootstrapConfig config;
  std::vector<std::string> warnings;  // e.g. ignored keys, plaintext
  // Where each key's value came from, for messages: the file's path,
  // "environment SR_AGENT_ID" or "flag --agent-id".
  std::map<std::string, std::string> origin;
};

using Environment = std::function<std::optional<std::string>(const std::string&)>;
Environment process_environment();

// `file`: the JSON file (missing is an error only when `file_required`).
// `flags`: key -> value with the file's key names. Errors name the source
// (file, variable or flag) and the key.
base::Expected<Bootstrap> load_bootstrap(const std::string& file, bool file_required,
                                        const Environment& env,
                                        const std::map<std::string, std::string>& flags);

// Keys and their environment variables, for --help and the README.
struct BootstrapKey {
  const char* key;
  const char* env;
  const char* help;
};
const std::vector<BootstrapKey>& bootstrap_keys();

}  // namespace sr::agent
