#include "net/https/proxy_config.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>

namespace sr::net::https {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::vector<unsigned char> address_bytes(const boost::asio::ip::address& a) {
  if (a.is_v4()) {
    auto b = a.to_v4().to_bytes();
    return {b.begin(), b.end()};
  }
  auto b = a.to_v6().to_bytes();
  return {b.begin(), b.end()};
}

bool in_network(const std::vector<unsigned char>& addr, const std::vector<unsigned char>& net,
                unsigned prefix) {
  if (addr.size() != net.size()) return false;
  for (std::size_t i = 0; i < net.size() && prefix > 0; ++i, prefix = prefix > 8 ? prefix - 8 : 0) {
    const unsigned bits = std::min(prefix, 8u);
    const unsigned char mask = static_cast<unsigned char>(0xff << (8 - bits));
    if ((addr[i] & mask) != (net[i] & mask)) return false;
  }
  return true;
}

std::string_view strip_brackets(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    return host.substr(1, host.size() - 2);
  return host;
}

// "host:port", "1.2.3.4:443" and "[::1]:443" lose the port (ignored, as curl
// does); a bare IPv6 address keeps all its colons.
std::string_view without_port(std::string_view entry) {
  if (entry.starts_with('[')) {
    const auto close = entry.find(']');
    return close == std::string_view::npos ? entry : entry.substr(0, close + 1);
  }
  const auto colon = entry.find(':');
  if (colon != std::string_view::npos && entry.find(':', colon + 1) == std::string_view::npos)
    return entry.substr(0, colon);
  return entry;
}

const char* env(const char* lower_name, const char* upper_name) {
  const char* v = std::getenv(lower_name);
  if (v && *v) return v;
  v = std::getenv(upper_name);
  return v && *v ? v : nullptr;
}

}  // namespace

std::string Proxy::display() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

namespace {

// The proxy URL: http only (the tunnel itself carries TLS), a host, a port
// other than 0; userinfo becomes a Basic authorization.
base::Expected<Proxy> parse_proxy_url(std::string_view proxy_url) {
  using Result = base::Expected<Proxy>;
  std::string text(proxy_url);
  if (text.find("://") == std::string::npos) text = "http://" + text;
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) return Result::failure("HTTPS_PROXY is not a URL");
  const auto& u = *parsed;
  if (lower(u.scheme()) != "http")
    return Result::failure("HTTPS_PROXY: only http:// proxies are supported (the tunnel itself carries TLS), not " +
                           std::string(u.scheme()) + "://");
  if (u.host().empty()) return Result::failure("HTTPS_PROXY has no host");
  Proxy proxy;
  proxy.host = std::string(strip_brackets(u.encoded_host_address()));
  if (u.has_port()) {
    const auto port = u.port_number();
    if (port == 0) return Result::failure("HTTPS_PROXY has an invalid port");
    proxy.port = port;
  }
  if (u.has_userinfo())
    proxy.authorization = "Basic " + base64(std::string(u.user()) + ":" + std::string(u.password()));
  return proxy;
}

// The NO_PROXY entries, split at commas and spaces.
std::vector<std::string_view> no_proxy_entries(std::string_view list) {
  std::vector<std::string_view> entries;
  std::string_view rest(list);
  while (!rest.empty()) {
    const auto start = rest.find_first_not_of(", ");
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    const auto entry = rest.substr(0, rest.find_first_of(", "));
    rest.remove_prefix(entry.size());
    entries.push_back(entry);
  }
  return entries;
}

}  // namespace

// An address or CIDR entry (its port already removed); false if `entry` is
// not an address. `error` set: a CIDR with a bad prefix length.
bool ProxyConfig::add_bypass_network(std::string_view entry, std::string& error) {
  const auto slash = entry.find('/');
  boost::system::error_code ec;
  auto addr = boost::asio::ip::make_address(strip_brackets(entry.substr(0, slash)), ec);
  if (ec) return false;
  Network n{address_bytes(addr), addr.is_v4() ? 32u : 128u};
  if (slash != std::string_view::npos) {
    const auto bits = entry.substr(slash + 1);
    unsigned p = 0;
    auto [end, err] = std::from_chars(bits.data(), bits.data() + bits.size(), p);
    if (err != std::errc{} || end != bits.data() + bits.size() || p > n.prefix) {
      error = "NO_PROXY entry '" + std::string(entry) + "' has an invalid prefix length";
      return true;
    }
    n.prefix = p;
  }
  bypass_networks_.push_back(std::move(n));
  return true;
}

// One NO_PROXY entry: "*", an address or CIDR, else a host name (a leading
// dot optional). Returns an error message, "" if none.
std::string ProxyConfig::add_bypass(std::string_view entry) {
  if (entry == "*") {
    bypass_all_ = true;
    return {};
  }
  entry = without_port(entry);
  std::string error;
  if (add_bypass_network(entry, error)) return error;
  std::string_view name = entry;
  while (name.starts_with('.')) name.remove_prefix(1);
  if (!name.empty()) bypass_names_.push_back(lower(name));
  return {};
}

base::Expected<ProxyConfig> ProxyConfig::parse(std::string_view proxy_url, std::string_view no_proxy) {
  ProxyConfig c;
  if (proxy_url.empty()) return c;
  auto proxy = parse_proxy_url(proxy_url);
  if (!proxy) return base::Expected<ProxyConfig>::failure(proxy.error());
  c.proxy_ = std::move(*proxy);
  c.enabled_ = true;
  for (const auto entry : no_proxy_entries(no_proxy))
    if (auto error = c.add_bypass(entry); !error.empty()) return base::Expected<ProxyConfig>::failure(error);
  return c;
}

base::Expected<ProxyConfig> ProxyConfig::from_environment(std::string_view scheme) {
  // As curl: plain http has only the lower-case name, since HTTP_PROXY is a
  // request header's name in CGI environments ("httpoxy").
  const char* proxy = scheme == "http" ? env("http_proxy", "http_proxy") : env("https_proxy", "HTTPS_PROXY");
  const char* no_proxy = env("no_proxy", "NO_PROXY");
  return parse(proxy ? proxy : "", no_proxy ? no_proxy : "");
}

bool ProxyConfig::bypassed(std::string_view raw_host) const {
  if (bypass_all_) return true;
  const auto host = lower(strip_brackets(raw_host));
  boost::system::error_code ec;
  auto addr = boost::asio::ip::make_address(host, ec);
  if (!ec) {
    const auto bytes = address_bytes(addr);
    return std::any_of(bypass_networks_.begin(), bypass_networks_.end(),
                       [&](const Network& n) { return in_network(bytes, n.bytes, n.prefix); });
  }
  return std::any_of(bypass_names_.begin(), bypass_names_.end(), [&](const std::string& name) {
    return host == name ||
           (host.size() > name.size() && host.ends_with(name) &&
            host[host.size() - name.size() - 1] == '.');
  });
}

const Proxy* ProxyConfig::for_host(std::string_view host) const {
  if (!enabled_ || bypassed(host)) return nullptr;
  return &proxy_;
}

}  // namespace sr::net::https
