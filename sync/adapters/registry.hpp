// The source types this agent runs, one entry each: the type's name (its
// config keys are contract/source_keys' entry of that name), its page sizes
// and its factory. The config parser, its setting checks and make_adapter
// all read this one table.
#pragma once

#include "base/expected.hpp"
#include "contract/source_keys.hpp"

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace sr::sync {

class Adapter;
struct SourceConfig;

// Devices per request: the default and the most a source type accepts.
struct PageSizeLimits {
  std::size_t default_size, max_size;
};

// Pages of one HTTPS source in flight at most (setting max_concurrency; 1
// pages one at a time): the default and the range. docs/benchmarks.md says
// why 8 ("Pages in flight").
constexpr unsigned kDefaultMaxConcurrency = 8;
constexpr unsigned kMaxConcurrencyLimit = 32;

struct AdapterType {
  std::string_view type;
  PageSizeLimits page_size;
  // The adapter for a source of this type, or why it cannot run.
  base::Expected<std::unique_ptr<Adapter>> (*make)(const SourceConfig& source);
  // Its keys: options, credentials, whether it needs an endpoint.
  const contract::SourceKeys& keys() const;
};

// armis, netbox, faker, in that order.
std::span<const AdapterType> adapter_types();
// The entry for `type` (trimmed, lower case), or null: a type this agent does not run.
const AdapterType* find_adapter_type(std::string_view type);
// "armis, netbox, faker": the types for messages.
std::string adapter_type_list();
// The type's page sizes; Armis' for a type this agent does not run.
PageSizeLimits page_size_limits(std::string_view type);

}  // namespace sr::sync
