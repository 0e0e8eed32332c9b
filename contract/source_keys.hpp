// The integration source types and the config_json keys each one accepts:
// what the agent reads and what the gateway's admin API checks an edit
// against. Data and look-ups only: how a value reads is the agent's parser's.
#pragma once

#include <span>
#include <string_view>

namespace sr::contract {

struct SourceKeys {
  std::string_view type;  // config_json's "type", lower case
  // Adapter settings beside the common keys (or in credentials, where the
  // platform puts page_size); values as text.
  std::span<const std::string_view> options;
  // The credentials the type reads: at least one must be set (none: it needs none).
  std::span<const std::string_view> credentials;
  bool endpoint = false;  // needs an http(s):// endpoint
};

// armis, netbox, faker, in that order.
std::span<const SourceKeys> source_types();
// The type named exactly `type`, or null.
const SourceKeys* find_source_type(std::string_view type);
// "armis, netbox, faker": the types for messages.
std::string_view source_type_list();

// Keys every source may have, whatever its type.
std::span<const std::string_view> common_source_keys();
// An adapter setting of any type.
bool is_option_key(std::string_view key);

}  // namespace sr::contract
