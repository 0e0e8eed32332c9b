// HTTPS_PROXY (http_proxy for http:// URLs) / NO_PROXY, as curl reads them:
// which requests go through an HTTP proxy (a CONNECT tunnel for https, an
// absolute-form request for http) and which go direct.
#pragma once

#include "base/expected.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sr::net::https {

struct Proxy {
  std::string host;
  std::uint16_t port = 1080;        // curl's default when the URL has none
  std::string authorization;        // "Basic ..." from the URL's userinfo; never logged
  std::string display() const;      // host:port, without credentials
};

class ProxyConfig {
 public:
  ProxyConfig() = default;  // no proxy

  // `proxy_url`: http://[user:pass@]host[:port][/] or host[:port]; "" = no
  // proxy. `no_proxy`: comma or space separated "*", host names (matching
  // their subdomains; a leading dot is optional), IP addresses and CIDRs.
  // Errors name the variable and the problem, never the userinfo.
  static base::Expected<ProxyConfig> parse(std::string_view proxy_url, std::string_view no_proxy);
  // For https URLs https_proxy, else HTTPS_PROXY; for http URLs http_proxy
  // (curl reads no HTTP_PROXY); no_proxy, else NO_PROXY.
  static base::Expected<ProxyConfig> from_environment(std::string_view scheme = "https");

  // The proxy to use for `host`, or nullptr to go direct.
  const Proxy* for_host(std::string_view host) const;
  bool enabled() const { return enabled_; }

 private:
  bool bypassed(std::string_view host) const;
  std::string add_bypass(std::string_view entry);
  bool add_bypass_network(std::string_view entry, std::string& error);

  bool enabled_ = false;
  Proxy proxy_;
  bool bypass_all_ = false;
  std::vector<std::string> bypass_names_;  // lower case, no leading dot
  struct Network {
    std::vector<unsigned char> bytes;  // 4 or 16
    unsigned prefix = 0;
  };
  std::vector<Network> bypass_networks_;
};

}  // namespace sr::net::https
