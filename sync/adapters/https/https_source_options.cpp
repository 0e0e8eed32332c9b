#include "sync/adapters/https/https_source_options.hpp"

#include "base/text/duration.hpp"
#include "base/text/scalars.hpp"
#include "base/text/size.hpp"
#include "sync/adapters/registry.hpp"

#include <boost/url/parse.hpp>
#include <fmt/format.h>

#include <algorithm>

namespace sr::sync {

base::Expected<HttpsSourceOptions> https_source_options(const SourceConfig& source) {
  using Result = base::Expected<HttpsSourceOptions>;
  HttpsSourceOptions o;
  const auto [default_page_size, max_page_size] = page_size_limits(source.type);
  if (source.endpoint.empty()) return Result::failure("endpoint is required");
  auto url = boost::urls::parse_uri(source.endpoint);
  if (!url || (url->scheme() != "https" && url->scheme() != "http") || url->host().empty())
    return Result::failure("endpoint must be an https:// URL with a host");
  o.endpoint = *url;
  o.endpoint.remove_query().remove_fragment().remove_userinfo();
  o.page_size = default_page_size;
  if (auto size = source.setting("page_size")) {
    auto n = base::parse_int_text(*size);
    if (!n || *n < 1 || static_cast<std::uint64_t>(*n) > max_page_size)
      return Result::failure(fmt::format("page_size must be 1..{}, not \"{}\"", max_page_size, *size));
    o.page_size = static_cast<std::size_t>(*n);
  } else if (source.batch_size > 0) {
    o.page_size = std::min<std::size_t>(static_cast<std::size_t>(source.batch_size), max_page_size);
  }
  if (auto text = source.setting("max_concurrency")) {
    auto n = base::parse_int_text(*text);
    if (!n || *n < 1 || *n > kMaxConcurrencyLimit)
      return Result::failure(fmt::format("max_concurrency must be 1..{}, not \"{}\"", kMaxConcurrencyLimit, *text));
    o.max_concurrency = static_cast<unsigned>(*n);
  }
  // Every page in flight keeps its connection for the next one.
  o.client.max_idle_connections = std::max<std::size_t>(o.client.max_idle_connections, o.max_concurrency);
  if (auto cap = source.setting("max_page_bytes")) {
    auto n = base::parse_size_text(*cap);
    if (!n || *n < 4096) return Result::failure("max_page_bytes must be a size of 4KiB or more");
    o.client.body_limit = *n;
  }
  // Per-source timeouts (Go duration text): a slow API gets more time, a
  // stalled one is given up on sooner.
  for (auto [key, field] : {std::pair{"request_timeout", &o.client.request_timeout},
                            std::pair{"body_idle_timeout", &o.client.body_idle_timeout},
                            std::pair{"body_timeout", &o.client.body_timeout}}) {
    auto text = source.setting(key);
    if (!text) continue;
    auto d = base::parse_duration(*text);
    if (!d.value || *d.value < std::chrono::milliseconds(1))
      return Result::failure(fmt::format("{} must be a duration of 1ms or more, not \"{}\"{}", key, *text,
                                         d.error.empty() ? "" : ": " + d.error));
    *field = std::chrono::duration_cast<std::chrono::milliseconds>(*d.value);
  }
  o.client.tls.ca_file = source.ca_file;
  o.client.tls.insecure_skip_verify = source.insecure_skip_verify;
  auto proxy = net::https::ProxyConfig::from_environment(o.endpoint.scheme());
  if (!proxy) return Result::failure(proxy.error());
  o.client.proxy = *proxy;
  return o;
}

base::Expected<std::uint64_t> device_cap(const SourceConfig& source, const char* key, std::uint64_t fallback) {
  auto text = source.setting(key);
  if (!text) return fallback;
  auto n = base::parse_int_text(*text);
  if (!n || *n < 1)
    return base::Expected<std::uint64_t>::failure(fmt::format("{} must be a whole number >= 1, not \"{}\"", key, *text));
  return static_cast<std::uint64_t>(*n);
}

boost::urls::url api_url(const boost::urls::url& endpoint, std::string_view api_path) {
  boost::urls::url u = endpoint;
  std::string path(endpoint.path());
  while (!path.empty() && path.back() == '/') path.pop_back();
  u.set_path(path + std::string(api_path));
  return u;
}

std::string credential(const SourceConfig& source, std::initializer_list<const char*> keys) {
  for (const char* k : keys) {
    auto it = source.credentials.find(k);
    if (it != source.credentials.end() && !it->second.empty()) return it->second;
  }
  return {};
}

}  // namespace sr::sync
