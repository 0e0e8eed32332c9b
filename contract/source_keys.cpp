#include "contract/source_keys.hpp"

#include <algorithm>
#include <array>

namespace sr::contract {

namespace {

using Keys = std::string_view;

constexpr Keys kCommon[] = {"type", "endpoint", "prefix", "agent_id", "gateway_id", "partition",
                            "custom_field", "sync_service_id", "ca_file", "poll_interval",
                            "discovery_interval", "sweep_interval", "run_timeout", "credentials",
                            "queries", "network_blacklist", "batch_size", "insecure_skip_verify"};

constexpr Keys kArmisOptions[] = {"page_size", "max_page_bytes", "request_timeout", "body_idle_timeout",
                                  "body_timeout", "max_merged_devices", "max_concurrency"};
constexpr Keys kNetboxOptions[] = {"page_size", "max_page_bytes", "request_timeout", "body_idle_timeout",
                                   "body_timeout", "max_seen_devices", "max_concurrency"};
constexpr Keys kFakerOptions[] = {"total_devices", "seed", "churn", "first_slot", "page_size"};

constexpr Keys kArmisCredentials[] = {"api_key", "api_secret", "secret_key"};
constexpr Keys kNetboxCredentials[] = {"api_token", "token"};

constexpr std::array<SourceKeys, 3> kTypes = {{
    {"armis", kArmisOptions, kArmisCredentials, true},
    {"netbox", kNetboxOptions, kNetboxCredentials, true},
    {"faker", kFakerOptions, {}, false},
}};

}  // namespace

std::span<const SourceKeys> source_types() { return kTypes; }

const SourceKeys* find_source_type(std::string_view type) {
  for (const auto& t : kTypes)
    if (t.type == type) return &t;
  return nullptr;
}

std::string_view source_type_list() { return "armis, netbox, faker"; }

std::span<const std::string_view> common_source_keys() { return kCommon; }

bool is_option_key(std::string_view key) {
  return std::any_of(kTypes.begin(), kTypes.end(), [&](const SourceKeys& t) {
    return std::find(t.options.begin(), t.options.end(), key) != t.options.end();
  });
}

}  // namespace sr::contract
