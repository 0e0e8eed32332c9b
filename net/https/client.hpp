// The HTTPS client the integrations use: coroutines on the caller's executor,
// TLS verified against the system trust store (or a CA file) with SNI and a
// host name check, keep-alive reuse, a timeout on every step, bodies handed
// on piece by piece as they arrive (gzip decoded on the way) under a size
// limit, and HTTP proxies by CONNECT. One attempt per send(): retries are the
// caller's (see retry_policy.hpp). Errors name the stage and the URL without
// its query or userinfo; they never carry a credential.
// Plain http:// URLs work too (default port 80, no tls stage, the same
// timeouts, limits and gzip): the caller decides whether that is acceptable.
// Through a proxy (the same ProxyConfig and NO_PROXY) they go as
// absolute-form requests on a connection to the proxy, not by CONNECT (which
// proxies commonly allow only to 443); a 407 then fails at the proxy stage.
// Kept connections are keyed by scheme, host, port and proxy: a plain
// connection never carries an https request, nor a TLS one an http request.
// Not thread-safe: use one client from one strand (a source's). Several
// sends may be in flight at once from coroutines on that strand: each takes
// a connection of its own (a kept one, or a new one).
#pragma once

#include "base/expected.hpp"
#include "net/https/proxy_config.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/url/url.hpp>
#include <boost/url/url_view.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sr::net::https {

struct TlsOptions {
  std::string ca_file;  // PEM bundle; replaces the system trust store when set
  bool insecure_skip_verify = false;
};

struct ClientOptions {
  TlsOptions tls;
  ProxyConfig proxy;  // ProxyConfig::from_environment() for the usual behaviour
  std::chrono::milliseconds connect_timeout{10'000};    // DNS and TCP (and the proxy's answer)
  std::chrono::milliseconds handshake_timeout{10'000};  // TLS
  std::chrono::milliseconds request_timeout{30'000};    // sending and the response's header
  std::chrono::milliseconds body_idle_timeout{30'000};  // longest silence inside a body
  std::chrono::milliseconds body_timeout{300'000};      // a whole body
  std::size_t body_limit = std::size_t{64} << 20;       // decoded bytes of one body
  std::size_t max_idle_connections = 4;                 // kept for reuse, over all hosts
  std::chrono::seconds idle_keep{50};  // idle longer: closed, not reused (servers close ~60 s)
  std::string user_agent = "serviceradar-agent";
};

enum class Stage { connect, proxy, tls, request, body };
const char* stage_name(Stage stage);

struct Header {
  std::string name, value;
};

struct Request {
  std::string method = "GET";
  boost::urls::url url;  // https://host[:port]/path?query (or http://, plain)
  std::vector<Header> headers;
  std::string body;  // sent with Content-Length when not empty
};

struct ResponseHead {
  unsigned status = 0;
  std::string retry_after, content_type;
};

struct Result {
  ResponseHead head;  // status 0 when no answer arrived
  std::string error;  // "" when a whole response arrived (whatever its status)
  Stage stage = Stage::body;
  bool retryable = true;  // false: trying again would fail the same way (TLS trust, limits)
  bool ok() const { return error.empty(); }
};

// Decoded body bytes as they arrive; return false to stop (the send then
// fails with "stopped by the reader").
using BodySink = std::function<bool(std::string_view)>;
// Given the answer's head (status known), where its body goes.
using SinkForAnswer = std::function<BodySink(const ResponseHead&)>;

// scheme://host[:port]/path: what errors and logs may show of a URL.
std::string safe_url(boost::urls::url_view url);

class Client {
 public:
  // Fails when the CA file cannot be loaded (naming it).
  static base::Expected<std::unique_ptr<Client>> create(boost::asio::any_io_executor ex,
                                                  ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  boost::asio::awaitable<Result> send(const Request& request, const SinkForAnswer& sink_for);
  boost::asio::awaitable<Result> send(const Request& request, const BodySink& sink);
  // The whole body into `body` (bounded by body_limit).
  boost::asio::awaitable<Result> send(const Request& request, std::string& body);

  struct Stats {
    std::uint64_t requests = 0, connections_opened = 0, connections_reused = 0;
  };
  Stats stats() const;
  const ClientOptions& options() const;

 private:
  struct Impl;
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sr::net::https
