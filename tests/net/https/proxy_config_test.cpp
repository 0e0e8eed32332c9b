// HTTPS_PROXY / NO_PROXY parsing and matching.
#include "net/https/proxy_config.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>

using sr::net::https::ProxyConfig;

TEST_CASE("a proxy URL with and without scheme, port and credentials", "[https][proxy]") {
  auto p = ProxyConfig::parse("http://user:p%40ss@proxy.corp:3128/", "");
  REQUIRE(p.ok());
  const auto* proxy = p->for_host("armis.example.com");
  REQUIRE(proxy);
  CHECK(proxy->host == "proxy.corp");
  CHECK(proxy->port == 3128);
  CHECK(proxy->authorization == "Basic dXNlcjpwQHNz");  // user:p@ss
  CHECK(proxy->display() == "proxy.corp:3128");

  auto bare = ProxyConfig::parse("10.1.2.3", "");
  REQUIRE(bare.ok());
  CHECK(bare->for_host("x")->display() == "10.1.2.3:1080");
  CHECK(bare->for_host("x")->authorization.empty());

  CHECK_FALSE(ProxyConfig::parse("", "").value().enabled());
}

TEST_CASE("bad proxy settings are errors that never echo credentials", "[https][proxy]") {
  auto https = ProxyConfig::parse("https://u:secret@proxy:443", "");
  REQUIRE_FALSE(https.ok());
  CHECK_THAT(https.error(), Catch::Contains("only http:// proxies"));
  CHECK(https.error().find("secret") == std::string::npos);
  CHECK_FALSE(ProxyConfig::parse("http://", "").ok());
  auto bad_prefix = ProxyConfig::parse("proxy:3128", "10.0.0.0/33");
  REQUIRE_FALSE(bad_prefix.ok());
  CHECK_THAT(bad_prefix.error(), Catch::Contains("10.0.0.0/33"));
}

TEST_CASE("NO_PROXY: names with their subdomains, addresses, networks, *", "[https][proxy]") {
  auto p = ProxyConfig::parse("proxy:3128", "internal.corp, .lab.example,10.0.0.0/8 ::1 192.168.1.5:443");
  REQUIRE(p.ok());
  CHECK_FALSE(p->for_host("internal.corp"));
  CHECK_FALSE(p->for_host("netbox.internal.corp"));
  CHECK_FALSE(p->for_host("NetBox.Internal.Corp"));
  CHECK(p->for_host("notinternal.corp"));
  CHECK_FALSE(p->for_host("lab.example"));
  CHECK_FALSE(p->for_host("a.lab.example"));
  CHECK_FALSE(p->for_host("10.200.3.4"));
  CHECK(p->for_host("11.0.0.1"));
  CHECK_FALSE(p->for_host("::1"));
  CHECK_FALSE(p->for_host("[::1]"));
  CHECK_FALSE(p->for_host("192.168.1.5"));
  CHECK(p->for_host("192.168.1.6"));
  CHECK(p->for_host("armis.example.com"));

  auto all = ProxyConfig::parse("proxy:3128", "*");
  CHECK_FALSE(all->for_host("anything"));
}

TEST_CASE("the environment: https_proxy for https URLs, only the lower-case http_proxy for http ones",
          "[https][proxy]") {
  for (const char* name : {"https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "no_proxy", "NO_PROXY"})
    ::unsetenv(name);
  ::setenv("HTTPS_PROXY", "secure-proxy:3128", 1);
  ::setenv("HTTP_PROXY", "from-a-request-header:80", 1);  // httpoxy: curl ignores it, so do we
  auto https = ProxyConfig::from_environment("https");
  REQUIRE(https.ok());
  REQUIRE(https->for_host("armis.example"));
  CHECK(https->for_host("armis.example")->display() == "secure-proxy:3128");
  auto http = ProxyConfig::from_environment("http");
  REQUIRE(http.ok());
  CHECK_FALSE(http->for_host("netbox.lan"));
  ::setenv("http_proxy", "plain-proxy:8080", 1);
  auto with_http_proxy = ProxyConfig::from_environment("http");
  REQUIRE(with_http_proxy.ok());
  REQUIRE(with_http_proxy->for_host("netbox.lan"));
  CHECK(with_http_proxy->for_host("netbox.lan")->display() == "plain-proxy:8080");
  for (const char* name : {"HTTPS_PROXY", "HTTP_PROXY", "http_proxy"}) ::unsetenv(name);
}
