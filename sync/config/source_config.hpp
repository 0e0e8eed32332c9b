// The integration sources in a config_json (wire-contract.md, "config_json").
// Parsing is lenient like the upstream agent, because the platform's UI does
// not validate what it stores: booleans, numbers and durations as strings or
// numbers, `type` trimmed and case-insensitive, a bad blacklist entry or
// setting skipped for its default. Every such fallback is a warning on the
// source (logged once per config version, shown in the heartbeat). Only what
// no reading can save refuses the source (no type, no endpoint, queries that
// cannot be read), with an error naming it and the key; one bad source never
// stops the others.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sr::sync {

struct QueryConfig {
  std::string label, query;
  std::vector<std::string> sweep_modes;
};

struct SourceConfig {
  std::string name;  // the key under "sources"
  std::string type;  // armis | netbox | faker (trimmed, lower case; sync/adapters/registry)
  std::string endpoint, prefix, agent_id, gateway_id, partition, custom_field, sync_service_id;
  std::map<std::string, std::string> credentials;  // never logged
  std::vector<QueryConfig> queries;
  std::vector<std::string> network_blacklist;      // CIDR text, validated (a bare IP as /32 or /128)
  std::chrono::nanoseconds poll_interval{0};       // after the top-level default
  std::chrono::nanoseconds discovery_interval{0};
  std::chrono::nanoseconds sweep_interval{0};
  std::chrono::nanoseconds run_timeout{0};         // 0: the runtime's default
  std::int64_t batch_size = 0;
  bool insecure_skip_verify = false;
  std::string ca_file;  // extra trust for this source's endpoint
  // Adapter options that are not part of the common schema (the faker's
  // total_devices, seed, churn), as text.
  std::map<std::string, std::string> options;
  // The source's JSON as received plus the defaults it took: any change
  // restarts its runner.
  std::string fingerprint;
  // Fallbacks taken while reading it ("network_blacklist[1]: ... skipped"),
  // never holding a credential's value.
  std::vector<std::string> warnings;

  // Looks a setting up in options, then in credentials (where the seed's
  // producer puts page_size and the faker's knobs).
  std::optional<std::string> setting(const std::string& key) const;
};

struct SourcesConfig {
  std::vector<SourceConfig> sources;
  std::vector<std::string> errors;    // skipped sources and why
  std::vector<std::string> warnings;  // about the document: types this agent does not run
  std::string fatal;  // set when the document as a whole is unusable (not JSON, not an object)
};

SourcesConfig parse_sources(std::string_view config_json);

// "10.0.0.0/8", "fd00::/8": empty when valid, else why not.
std::string validate_cidr(std::string_view text);

}  // namespace sr::sync
