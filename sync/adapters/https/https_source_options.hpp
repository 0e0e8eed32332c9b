// What every HTTPS source reads from its config the same way: the endpoint,
// TLS (ca_file, insecure_skip_verify), the proxy from the environment, the
// page size and the per-page byte cap. parse_sources has already replaced
// what did not read by defaults (with a warning); errors here name the key.
#pragma once

#include "base/expected.hpp"
#include "net/https/client.hpp"
#include "sync/adapters/registry.hpp"
#include "sync/config/source_config.hpp"

#include <boost/url/url.hpp>

namespace sr::sync {

struct HttpsSourceOptions {
  boost::urls::url endpoint;  // https://host[:port][/prefix] (or http://, warned at config time), no query
  std::size_t page_size = 100;
  unsigned max_concurrency = kDefaultMaxConcurrency;  // setting max_concurrency
  net::https::ClientOptions client;
};

// Page size limits by the source's type (page_size_limits).
base::Expected<HttpsSourceOptions> https_source_options(const SourceConfig& source);

// The endpoint's path with `api_path` appended ("/prefix" + "/api/...").
boost::urls::url api_url(const boost::urls::url& endpoint, std::string_view api_path);

// A per-source cap on devices held in memory during a run (`key` in options
// or credentials, a whole number >= 1), else `fallback`; errors name the key.
base::Expected<std::uint64_t> device_cap(const SourceConfig& source, const char* key, std::uint64_t fallback);

// A credential by the first of `keys` present ("" when none is).
std::string credential(const SourceConfig& source, std::initializer_list<const char*> keys);

}  // namespace sr::sync
