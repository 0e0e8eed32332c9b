#include "net/https/client.hpp"

#include "net/https/gzip_decoder.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <tuple>

namespace sr::net::https {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr auto as_tuple = asio::as_tuple(asio::use_awaitable);

namespace {

constexpr std::size_t kReadChunk = 64 * 1024;
constexpr std::uint32_t kHeaderLimit = 64 * 1024;
// Unparsed bytes a connection holds at once: the header (kHeaderLimit
// answers first), one chunk header with its extensions, the trailer. Beast
// bounds neither of the last two: a server sending one that never ends
// would otherwise grow the buffer without end.
constexpr std::size_t kBufferLimit = 2 * kHeaderLimit;

std::string buffer_overflow_message() {
  return fmt::format("a chunk header or trailer of the response exceeds the {} byte limit",
                     kBufferLimit);
}

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Errors a reused keep-alive connection shows when the server had closed it.
bool stale_connection(const boost::system::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::ssl::error::stream_truncated;
}

std::string describe(const boost::system::error_code& ec, std::chrono::milliseconds timeout) {
  if (ec == beast::error::timeout || ec == asio::error::timed_out)
    return fmt::format("timed out after {} ms", timeout.count());
  if (ec == asio::error::operation_aborted) return "cancelled";
  if (ec == asio::ssl::error::stream_truncated || ec == bhttp::error::partial_message ||
      ec == asio::error::eof || ec == bhttp::error::end_of_stream)
    return "the server closed the connection early";
  return ec.message();
}

}  // namespace

const char* stage_name(Stage stage) {
  switch (stage) {
    case Stage::connect: return "connect";
    case Stage::proxy: return "proxy";
    case Stage::tls: return "tls";
    case Stage::request: return "request";
    case Stage::body: return "body";
  }
  return "?";
}

std::string safe_url(boost::urls::url_view url) {
  std::string out = std::string(url.scheme()) + "://" + std::string(url.encoded_host_and_port());
  out += url.encoded_path().empty() ? std::string("/") : std::string(url.encoded_path());
  return out;
}

// One connection, TLS or plain: a plain one uses only the lowest layer of
// its ssl_stream (the TLS layer is never touched). The helpers pick the layer.
struct Connection {
  Connection(const asio::any_io_executor& ex, asio::ssl::context& ctx, bool use_tls)
      : stream(ex, ctx), tls(use_tls) {}
  beast::ssl_stream<beast::tcp_stream> stream;
  bool tls;
  beast::flat_buffer buffer{kBufferLimit};  // reads past it fail with buffer_overflow
  std::string key;
  Clock::time_point idle_since;
  // Body bytes land here: one per connection, so sends in flight at once
  // (coroutines on the client's strand) never share a buffer.
  std::unique_ptr<char[]> chunk = std::make_unique<char[]>(kReadChunk);
  auto& tcp() { return beast::get_lowest_layer(stream); }

  template <class Message>
  asio::awaitable<std::tuple<boost::system::error_code, std::size_t>> write(Message& m) {
    if (tls) co_return co_await bhttp::async_write(stream, m, as_tuple);
    co_return co_await bhttp::async_write(tcp(), m, as_tuple);
  }
  template <class Parser>
  asio::awaitable<std::tuple<boost::system::error_code, std::size_t>> read_header(Parser& p) {
    if (tls) co_return co_await bhttp::async_read_header(stream, buffer, p, as_tuple);
    co_return co_await bhttp::async_read_header(tcp(), buffer, p, as_tuple);
  }
  template <class Parser>
  asio::awaitable<std::tuple<boost::system::error_code, std::size_t>> read(Parser& p) {
    if (tls) co_return co_await bhttp::async_read(stream, buffer, p, as_tuple);
    co_return co_await bhttp::async_read(tcp(), buffer, p, as_tuple);
  }
};

struct Client::Impl {
  Impl(asio::any_io_executor e, ClientOptions o)
      : ex(std::move(e)), options(std::move(o)), tls(asio::ssl::context::tls_client) {}

  asio::any_io_executor ex;
  ClientOptions options;
  asio::ssl::context tls;
  std::multimap<std::string, std::unique_ptr<Connection>> idle;
  Stats stats;

  struct Target {
    bool tls = true;  // https://; http:// is plain TCP
    std::string host, port, host_header, key;
    const Proxy* proxy = nullptr;
  };
  struct Failure {
    Stage stage;
    std::string what;
    bool retryable = true;  // false: the same request would fail the same way
  };

  base::Expected<Target> target_of(boost::urls::url_view url) const;
  std::unique_ptr<Connection> take_idle(const std::string& key);
  void keep_idle(std::unique_ptr<Connection> c);
  asio::awaitable<std::optional<Failure>> connect(Connection& c, const Target& t);
  asio::awaitable<std::optional<Failure>> tunnel(Connection& c, const Target& t);
  asio::awaitable<std::optional<Failure>> handshake(Connection& c, const Target& t);
  asio::awaitable<Result> exchange(Connection& c, const Target& t, const Request& r,
                                   const SinkForAnswer& sink_for, bool& keep, bool& retry_fresh);
  asio::awaitable<std::optional<Failure>> read_body(Connection& c,
                                                    bhttp::response_parser<bhttp::buffer_body>& p,
                                                    const BodySink& sink);
  asio::awaitable<Result> send(const Request& r, const SinkForAnswer& sink_for);
  std::string too_large() const {
    return fmt::format("body larger than the {} byte limit", options.body_limit);
  }
};

base::Expected<Client::Impl::Target> Client::Impl::target_of(boost::urls::url_view url) const {
  const auto scheme = lower(url.scheme());
  if (scheme != "https" && scheme != "http")
    return base::Expected<Target>::failure("only https:// and http:// URLs are supported, not " +
                                     safe_url(url));
  if (url.host_address().empty()) return base::Expected<Target>::failure("URL has no host");
  Target t;
  t.tls = scheme == "https";
  t.host = std::string(url.host_address());
  t.port = url.has_port() ? std::string(url.port()) : t.tls ? "443" : "80";
  t.host_header = std::string(url.encoded_host_and_port());
  t.proxy = options.proxy.for_host(t.host);
  // The scheme is part of the key: a plain connection never serves https, nor a TLS one http.
  t.key = scheme + "://" + std::string(url.encoded_host()) + ":" + t.port +
          (t.proxy ? "|" + t.proxy->display() : "");
  return t;
}

std::unique_ptr<Connection> Client::Impl::take_idle(const std::string& key) {
  const auto now = Clock::now();
  auto [first, last] = idle.equal_range(key);
  for (auto it = first; it != last;) {
    auto c = std::move(it->second);
    it = idle.erase(it);
    if (now - c->idle_since < options.idle_keep) return c;
  }
  return nullptr;
}

void Client::Impl::keep_idle(std::unique_ptr<Connection> c) {
  if (options.max_idle_connections == 0) return;
  while (idle.size() >= options.max_idle_connections) {
    auto oldest = std::min_element(idle.begin(), idle.end(), [](const auto& a, const auto& b) {
      return a.second->idle_since < b.second->idle_since;
    });
    idle.erase(oldest);
  }
  c->idle_since = Clock::now();
  auto key = c->key;
  idle.emplace(std::move(key), std::move(c));
}

asio::awaitable<std::optional<Client::Impl::Failure>> Client::Impl::connect(Connection& c,
                                                                              const Target& t) {
  using namespace asio::experimental::awaitable_operators;
  const std::string& host = t.proxy ? t.proxy->host : t.host;
  const std::string port = t.proxy ? std::to_string(t.proxy->port) : t.port;
  const std::string where = t.proxy ? "proxy " + t.proxy->display() : t.host + ":" + t.port;
  tcp::resolver resolver(ex);
  asio::steady_timer timer(ex, options.connect_timeout);
  auto resolved = co_await (resolver.async_resolve(host, port, as_tuple) || timer.async_wait(as_tuple));
  if (resolved.index() == 1) {
    auto [ec] = std::get<1>(resolved);
    co_return Failure{Stage::connect,
                      fmt::format("resolving {}: {}", where,
                                  ec ? describe(ec, options.connect_timeout)
                                     : describe(beast::error::timeout, options.connect_timeout))};
  }
  auto [rec, endpoints] = std::get<0>(resolved);
  if (rec) co_return Failure{Stage::connect, fmt::format("resolving {}: {}", where, rec.message())};
  c.tcp().expires_after(options.connect_timeout);
  auto [cec, ep] = co_await c.tcp().async_connect(endpoints, as_tuple);
  if (cec)
    co_return Failure{Stage::connect,
                      fmt::format("connecting to {}: {}", where, describe(cec, options.connect_timeout))};
  // A request is small and waits for its answer: Nagle would hold its last
  // segment until the peer's delayed ACK (tens of ms per page).
  boost::system::error_code ignored;
  c.tcp().socket().set_option(asio::ip::tcp::no_delay(true), ignored);
  // https:// tunnels through the proxy; http:// sends absolute-form requests
  // to it on this connection (proxies commonly refuse CONNECT to port 80).
  if (t.proxy && t.tls) co_return co_await tunnel(c, t);
  co_return std::nullopt;
}

// HTTP CONNECT through the proxy; TLS then runs end to end inside the tunnel.
asio::awaitable<std::optional<Client::Impl::Failure>> Client::Impl::tunnel(Connection& c,
                                                                            const Target& t) {
  const std::string authority =
      (t.host.find(':') != std::string::npos ? "[" + t.host + "]" : t.host) + ":" + t.port;
  bhttp::request<bhttp::empty_body> req{bhttp::verb::connect, authority, 11};
  req.set(bhttp::field::host, authority);
  req.set(bhttp::field::user_agent, options.user_agent);
  if (!t.proxy->authorization.empty())
    req.set(bhttp::field::proxy_authorization, t.proxy->authorization);
  c.tcp().expires_after(options.connect_timeout);
  auto [wec, wn] = co_await bhttp::async_write(c.tcp(), req, as_tuple);
  const std::string where = "proxy " + t.proxy->display();
  if (wec)
    co_return Failure{Stage::proxy, fmt::format("{}: {}", where, describe(wec, options.connect_timeout))};
  bhttp::response_parser<bhttp::empty_body> parser;
  parser.skip(true);  // a CONNECT answer has no body
  parser.header_limit(kHeaderLimit);
  auto [rec, rn] = co_await bhttp::async_read_header(c.tcp(), c.buffer, parser, as_tuple);
  if (rec)
    co_return Failure{Stage::proxy, fmt::format("{}: {}", where, describe(rec, options.connect_timeout))};
  if (parser.get().result_int() != 200)
    co_return Failure{Stage::proxy, fmt::format("{} refused the tunnel to {}: HTTP {}", where,
                                                authority, parser.get().result_int())};
  if (c.buffer.size() != 0)
    co_return Failure{Stage::proxy, where + " sent data before the tunnel opened"};
  co_return std::nullopt;
}

asio::awaitable<std::optional<Client::Impl::Failure>> Client::Impl::handshake(Connection& c,
                                                                               const Target& t) {
  SSL* ssl = c.stream.native_handle();
  if (is_ip_literal(t.host)) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), t.host.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl, t.host.c_str());  // SNI
    SSL_set1_host(ssl, t.host.c_str());
  }
  c.stream.set_verify_mode(options.tls.insecure_skip_verify ? asio::ssl::verify_none
                                                            : asio::ssl::verify_peer);
  c.tcp().expires_after(options.handshake_timeout);
  auto [ec] = co_await c.stream.async_handshake(asio::ssl::stream_base::client, as_tuple);
  if (!ec) co_return std::nullopt;
  const long verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK && !options.tls.insecure_skip_verify)
    co_return Failure{Stage::tls,
                      fmt::format("certificate of {} not accepted: {}", t.host,
                                  X509_verify_cert_error_string(verify)),
                      false};
  co_return Failure{Stage::tls, fmt::format("TLS handshake with {}: {}", t.host,
                                            describe(ec, options.handshake_timeout))};
}

asio::awaitable<std::optional<Client::Impl::Failure>> Client::Impl::read_body(
    Connection& c, bhttp::response_parser<bhttp::buffer_body>& parser, const BodySink& sink) {
  std::optional<GzipDecoder> gzip;
  const auto encoding = lower(parser.get()[bhttp::field::content_encoding]);
  if (encoding == "gzip" || encoding == "x-gzip" || encoding == "deflate") {
    gzip.emplace(options.body_limit, sink);
  } else if (!encoding.empty() && encoding != "identity") {
    co_return Failure{Stage::body, "unsupported Content-Encoding '" + encoding + "'", false};
  }
  std::size_t plain = 0;
  const auto deadline = Clock::now() + options.body_timeout;
  while (!parser.is_done()) {
    auto& body = parser.get().body();
    body.data = c.chunk.get();
    body.size = kReadChunk;
    const auto idle_deadline = Clock::now() + options.body_idle_timeout;
    const bool whole_body_limit = deadline < idle_deadline;
    c.tcp().expires_at(std::min(deadline, idle_deadline));
    auto [ec, n] = co_await c.read(parser);
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec == bhttp::error::body_limit)
      co_return Failure{Stage::body, too_large(), false};
    // A protocol violation, not a transient fault: the same request would
    // get the same answer, so it is not retried.
    if (ec == bhttp::error::buffer_overflow)
      co_return Failure{Stage::body, buffer_overflow_message(), false};
    if (ec == beast::error::timeout)
      co_return Failure{Stage::body,
                        whole_body_limit
                            ? fmt::format("body not complete within {} ms", options.body_timeout.count())
                            : fmt::format("no body data for {} ms", options.body_idle_timeout.count())};
    if (ec) co_return Failure{Stage::body, describe(ec, options.body_timeout)};
    const std::string_view got(c.chunk.get(), kReadChunk - parser.get().body().size);
    if (got.empty()) continue;
    if (gzip) {
      if (auto e = gzip->feed(got); !e.empty()) co_return Failure{Stage::body, e, false};
      continue;
    }
    plain += got.size();
    if (plain > options.body_limit)
      co_return Failure{Stage::body, too_large(), false};
    if (!sink(got)) co_return Failure{Stage::body, "stopped by the reader", false};
  }
  if (gzip)
    if (auto e = gzip->finish(); !e.empty()) co_return Failure{Stage::body, e};
  co_return std::nullopt;
}

asio::awaitable<Result> Client::Impl::exchange(Connection& c, const Target& t, const Request& r,
                                               const SinkForAnswer& sink_for, bool& keep,
                                               bool& retry_fresh) {
  Result result;
  auto fail = [&](Stage stage, std::string what, bool retryable = true) {
    result.stage = stage;
    result.error = std::move(what);
    result.retryable = retryable;
    return result;
  };
  std::string target =
      r.url.encoded_target().empty() ? std::string("/") : std::string(r.url.encoded_target());
  if (!target.starts_with('/')) target.insert(0, "/");
  // Plain http through a proxy: the absolute form, no userinfo or fragment.
  const bool absolute_form = t.proxy && !t.tls;
  if (absolute_form) target = "http://" + t.host_header + target;
  bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(r.method), target, 11};
  req.set(bhttp::field::host, t.host_header);
  if (absolute_form && !t.proxy->authorization.empty())
    req.set(bhttp::field::proxy_authorization, t.proxy->authorization);
  req.set(bhttp::field::user_agent, options.user_agent);
  req.set(bhttp::field::accept_encoding, "gzip");
  for (const auto& h : r.headers) req.set(h.name, h.value);
  req.keep_alive(true);
  if (!r.body.empty() || req.method() == bhttp::verb::post) {
    req.body() = r.body;
    req.prepare_payload();
  }
  c.tcp().expires_after(options.request_timeout);
  auto [wec, wn] = co_await c.write(req);
  if (wec) {
    retry_fresh = stale_connection(wec);
    co_return fail(Stage::request, describe(wec, options.request_timeout));
  }
  bhttp::response_parser<bhttp::buffer_body> parser;
  parser.header_limit(kHeaderLimit);
  parser.body_limit(options.body_limit);
  if (req.method() == bhttp::verb::head) parser.skip(true);
  auto [hec, hn] = co_await c.read_header(parser);
  if (hec == bhttp::error::body_limit)  // its Content-Length says so
    co_return fail(Stage::body, too_large(), false);
  if (hec) {
    retry_fresh = stale_connection(hec) && hn == 0;
    if (hec == bhttp::error::header_limit || hec == bhttp::error::buffer_overflow)
      co_return fail(Stage::request,
                     fmt::format("response header larger than the {} byte limit", kHeaderLimit),
                     false);
    co_return fail(Stage::request, describe(hec, options.request_timeout));
  }
  const auto& head = parser.get();
  if (absolute_form && head.result_int() == 407)  // the proxy's own answer, never the server's
    co_return fail(Stage::proxy, fmt::format("proxy {} refused the request to {}:{}: HTTP 407",
                                             t.proxy->display(), t.host, t.port));
  result.head.status = head.result_int();
  result.head.retry_after = std::string(head[bhttp::field::retry_after]);
  result.head.content_type = std::string(head[bhttp::field::content_type]);
  const BodySink sink = sink_for(result.head);
  if (auto failure = co_await read_body(c, parser, sink))
    co_return fail(failure->stage, std::move(failure->what), failure->retryable);
  keep = parser.get().keep_alive();
  co_return result;
}

asio::awaitable<Result> Client::Impl::send(const Request& r, const SinkForAnswer& sink_for) {
  ++stats.requests;
  auto target = target_of(r.url);
  if (!target) co_return Result{{}, target.error(), Stage::connect, false};
  const std::string url = safe_url(r.url);
  for (int round = 0;; ++round) {
    auto c = round == 0 ? take_idle(target->key) : nullptr;
    const bool reused = c != nullptr;
    if (reused) {
      ++stats.connections_reused;
    } else {
      c = std::make_unique<Connection>(ex, tls, target->tls);
      c->key = target->key;
      ++stats.connections_opened;
      auto failure = co_await connect(*c, *target);
      if (!failure && target->tls) failure = co_await handshake(*c, *target);
      if (failure)
        co_return Result{{}, fmt::format("{} {}: {}", r.method, url, failure->what), failure->stage,
                         failure->retryable};
    }
    bool keep = false, retry_fresh = false;
    auto result = co_await exchange(*c, *target, r, sink_for, keep, retry_fresh);
    if (!result.ok() && reused && retry_fresh) continue;  // the server had closed it: once more, fresh
    if (!result.ok()) {
      result.error = fmt::format("{} {}: {}", r.method, url, result.error);
      co_return result;
    }
    if (keep) keep_idle(std::move(c));
    co_return result;
  }
}

base::Expected<std::unique_ptr<Client>> Client::create(asio::any_io_executor ex, ClientOptions options) {
  auto impl = std::make_unique<Impl>(std::move(ex), std::move(options));
  SSL_CTX_set_min_proto_version(impl->tls.native_handle(), TLS1_2_VERSION);
  boost::system::error_code ec;
  if (!impl->options.tls.ca_file.empty()) {
    impl->tls.load_verify_file(impl->options.tls.ca_file, ec);
    if (ec)
      return base::Expected<std::unique_ptr<Client>>::failure(
          "CA file " + impl->options.tls.ca_file + " cannot be loaded: " + ec.message());
  } else {
    impl->tls.set_default_verify_paths(ec);
    if (ec)
      return base::Expected<std::unique_ptr<Client>>::failure("system trust store cannot be loaded: " +
                                                        ec.message());
  }
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::~Client() = default;

asio::awaitable<Result> Client::send(const Request& request, const SinkForAnswer& sink_for) {
  return impl_->send(request, sink_for);
}

asio::awaitable<Result> Client::send(const Request& request, const BodySink& sink) {
  const SinkForAnswer same = [&sink](const ResponseHead&) { return sink; };
  co_return co_await impl_->send(request, same);
}

asio::awaitable<Result> Client::send(const Request& request, std::string& body) {
  body.clear();
  BodySink collect = [&body](std::string_view piece) {
    body.append(piece);
    return true;
  };
  const SinkForAnswer same = [&collect](const ResponseHead&) { return collect; };
  co_return co_await impl_->send(request, same);
}

Client::Stats Client::stats() const { return impl_->stats; }
const ClientOptions& Client::options() const { return impl_->options; }

}  // namespace sr::net::https
