// The HTTPS client against the scripted HTTPS server on loopback, with the
// test PKI: TLS checks, keep-alive, limits, gzip, timeouts, proxies,
// cancellation; plain http:// against the same server in plain mode; and
// tools/fake-inventory's flags (--plain, --first-slot, --netbox-next-origin)
// through the client. Outcomes are checked, never durations.
#include "net/https/client.hpp"
#include "net/https/fetch.hpp"
#include "net/io_pool.hpp"
#include "contract/faker_inventory.hpp"
#include "tests/net/http/hostile_client.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/test_pki.hpp"
#include "tests/support/wait.hpp"
#include "tools/fake-inventory/apis/netbox_api.hpp"
#include "tools/fake-inventory/server/https_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <boost/url/parse.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>
#include <tuple>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using namespace sr::net::https;
using sr::fake::HttpsServer;
using sr::fake::Reply;
using sr::fake::ServerRequest;
using sr::test::get_bounded;
using tcp = asio::ip::tcp;

namespace {

std::filesystem::path pki() { return sr::test::test_pki(); }

std::string trusted_ca() { return (pki() / "ca" / "root.pem").string(); }

// A scripted server with the given certificate (or plain HTTP), on its own pool.
struct Server {
  explicit Server(sr::fake::Handler handler, const std::string& cert = "https-server",
                  bool plain_http = false)
      : plain(plain_http),
        server(pool.executor(),
               {"127.0.0.1:0", plain ? "" : (pki() / "test" / (cert + ".pem")).string(),
                plain ? "" : (pki() / "test" / (cert + ".key")).string(), plain},
               std::move(handler)) {
    pool.start();
    if (auto e = server.start(); !e.empty()) sr::test::fail_hard(e);
  }
  ~Server() {
    std::promise<void> stopped;
    server.stop([&] { stopped.set_value(); });
    auto f = stopped.get_future();
    get_bounded(f, "scripted server stop");
    work.reset();
    pool.join();
  }
  std::string url(const std::string& path = "/", const std::string& host = "127.0.0.1") const {
    return (plain ? "http://" : "https://") + host + ":" + std::to_string(server.port()) + path;
  }
  std::string authority() const { return "127.0.0.1:" + std::to_string(server.port()); }
  const bool plain;
  sr::net::IoPool pool{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{pool.executor()};
  HttpsServer server;
};

// The client side: its own pool; runs one send at a time to completion.
struct ClientSide {
  explicit ClientSide(ClientOptions o = defaults()) {
    auto c = Client::create(pool.executor(), std::move(o));
    if (!c) sr::test::fail_hard(c.error());
    client = std::move(*c);
    pool.start();
  }
  ~ClientSide() {
    client.reset();
    work.reset();
    pool.join();
  }
  static ClientOptions defaults() {
    ClientOptions o;
    o.tls.ca_file = trusted_ca();
    return o;
  }
  Result get(const std::string& url, std::string& body, std::vector<Header> headers = {}) {
    auto parsed = boost::urls::parse_uri(url);
    if (!parsed) sr::test::fail_hard("bad test URL " + url);
    Request r;
    r.url = *parsed;
    r.headers = std::move(headers);
    return send(r, body);
  }
  Result send(const Request& r, std::string& body) {
    auto f = asio::co_spawn(
        pool.executor(),
        [&]() -> asio::awaitable<Result> { co_return co_await client->send(r, body); },
        asio::use_future);
    return get_bounded(f, "client send");
  }
  Result get(const std::string& url) {
    std::string ignored;
    return get(url, ignored);
  }
  sr::net::IoPool pool{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{pool.executor()};
  std::unique_ptr<Client> client;
};

bool localhost_resolves() {
  asio::io_context ctx;
  tcp::resolver resolver(ctx);
  boost::system::error_code ec;
  resolver.resolve("localhost", "443", ec);
  return !ec;
}

Reply ok(std::string body) {
  Reply r;
  r.headers = {{"Content-Type", "application/json"}};
  r.body = std::move(body);
  return r;
}

}  // namespace

TEST_CASE("a GET over verified TLS returns status, headers and body", "[https][client]") {
  std::string seen_agent, seen_encoding;
  Server srv([&](const ServerRequest& r) {
    seen_agent = r.header("user-agent");
    seen_encoding = r.header("accept-encoding");
    auto reply = ok(R"({"path":")" + r.target + R"("})");
    reply.headers.emplace_back("Retry-After", "5");
    return reply;
  });
  ClientSide c;
  std::string body;
  auto r = c.get(srv.url("/api/v1/search/?from=0&length=10"), body);
  REQUIRE(r.ok());
  CHECK(r.head.status == 200);
  CHECK(r.head.content_type == "application/json");
  CHECK(r.head.retry_after == "5");
  CHECK(body == R"({"path":"/api/v1/search/?from=0&length=10"})");
  CHECK(seen_agent == "serviceradar-agent");
  CHECK(seen_encoding == "gzip");
  // By name as well as by address (the certificate has both), where the
  // machine resolves "localhost" at all (a minimal chroot has no /etc/hosts).
  if (localhost_resolves()) CHECK(c.get(srv.url("/", "localhost")).ok());
  else WARN("localhost does not resolve here: the by-name check is skipped");
}

TEST_CASE("certificates that must not be trusted are refused at the TLS stage",
          "[https][client][tls]") {
  struct Case {
    const char* cert;
    const char* why;
  };
  // By address, so no name resolution is needed: the wrong-host certificate
  // names only not-this-host.example, so the IP check fails.
  for (const auto& [cert, why] : {Case{"https-self-signed", "self-signed certificate"},
                                  Case{"https-wrong-host", "IP address mismatch"},
                                  Case{"https-expired", "certificate has expired"}}) {
    Server srv([](const ServerRequest&) { return ok("{}"); }, cert);
    ClientSide c;
    auto r = c.get(srv.url("/secret?token=abc"));
    INFO(cert << ": " << r.error);
    CHECK_FALSE(r.ok());
    CHECK(r.stage == Stage::tls);
    CHECK_THAT(r.error, Catch::Contains(why, Catch::CaseSensitive::No));
    CHECK_THAT(r.error, Catch::StartsWith("GET https://127.0.0.1:"));
    CHECK(r.error.find("token=abc") == std::string::npos);  // no query in errors
    CHECK_FALSE(r.retryable);
    CHECK(srv.server.requests() == 0);
  }
}

TEST_CASE("what errors show of a URL: no userinfo, query or fragment", "[https][client]") {
  using sr::net::https::safe_url;
  CHECK(safe_url(boost::urls::url("https://user:pw@armis.example:8443/api/v1/?api_key=SECRET#frag")) ==
        "https://armis.example:8443/api/v1/");
  CHECK(safe_url(boost::urls::url("https://token@netbox.example")) == "https://netbox.example/");
}

TEST_CASE("the system trust store does not know the test CA; insecure_skip_verify accepts it",
          "[https][client][tls]") {
  Server srv([](const ServerRequest&) { return ok("{}"); }, "https-self-signed");
  ClientOptions system_store;
  ClientSide strict(system_store);
  CHECK(strict.get(srv.url()).stage == Stage::tls);
  ClientOptions insecure;
  insecure.tls.insecure_skip_verify = true;
  ClientSide lax(insecure);
  CHECK(lax.get(srv.url()).ok());
}

TEST_CASE("a CA file that cannot be loaded is named", "[https][client][tls]") {
  sr::net::IoPool pool(1);
  ClientOptions o;
  o.tls.ca_file = "/nonexistent/ca.pem";
  auto c = Client::create(pool.executor(), o);
  REQUIRE_FALSE(c.ok());
  CHECK_THAT(c.error(), Catch::StartsWith("CA file /nonexistent/ca.pem cannot be loaded"));
}

TEST_CASE("keep-alive: one connection serves many requests; Connection: close is honoured",
          "[https][client][keepalive]") {
  std::atomic<int> n{0};
  Server srv([&](const ServerRequest&) {
    auto reply = ok("{}");
    reply.close = ++n == 3;  // the third answer closes its connection
    return reply;
  });
  ClientSide c;
  for (int i = 0; i < 5; ++i) REQUIRE(c.get(srv.url("/page/" + std::to_string(i))).ok());
  CHECK(srv.server.connections_accepted() == 2);
  CHECK(c.client->stats().connections_opened == 2);
  CHECK(c.client->stats().connections_reused == 3);
}

TEST_CASE("a kept connection the server dropped silently is replaced, the request succeeds",
          "[https][client][keepalive]") {
  std::atomic<int> n{0};
  Server srv([&](const ServerRequest&) {
    auto reply = ok("{}");
    reply.drop_after = ++n == 1;  // closes after the first answer without saying so
    return reply;
  });
  ClientSide c;
  REQUIRE(c.get(srv.url()).ok());
  REQUIRE(sr::test::eventually([&] { return n == 1; }));
  auto second = c.get(srv.url());
  CHECK(second.ok());
  CHECK(srv.server.connections_accepted() == 2);
}

TEST_CASE("a failed answer never goes back to the pool", "[https][client][keepalive]") {
  std::atomic<int> n{0};
  Server srv([&](const ServerRequest&) {
    auto reply = ok(std::string(1000, 'a'));
    if (++n == 1) reply.reset_after = 2;
    return reply;
  });
  ClientSide c;
  auto first = c.get(srv.url());
  CHECK_FALSE(first.ok());
  CHECK(first.stage == Stage::body);
  CHECK(c.get(srv.url()).ok());
  CHECK(c.client->stats().connections_reused == 0);
}

TEST_CASE("the body limit, gzip bodies and gzip bombs", "[https][client][limits]") {
  const std::string big(2 << 20, 'x');
  Server srv([&](const ServerRequest& r) {
    if (r.target == "/big") return ok(big);
    Reply reply = ok(r.target == "/bomb" ? std::string(64 << 20, ' ') : std::string(300'000, 'y'));
    reply.gzip = true;
    return reply;
  });
  ClientOptions o = ClientSide::defaults();
  o.body_limit = 1 << 20;
  ClientSide c(o);
  auto too_big = c.get(srv.url("/big"));
  CHECK(too_big.stage == Stage::body);
  CHECK_THAT(too_big.error, Catch::EndsWith("body larger than the 1048576 byte limit"));
  CHECK_FALSE(too_big.retryable);  // the same page would be just as large
  std::string body;
  auto zipped = c.get(srv.url("/zipped"), body);
  REQUIRE(zipped.ok());
  CHECK(body == std::string(300'000, 'y'));
  auto bomb = c.get(srv.url("/bomb"));
  CHECK(bomb.stage == Stage::body);
  CHECK_THAT(bomb.error, Catch::EndsWith("gzip body decodes to more than the 1048576 byte limit"));
}

TEST_CASE("each timeout ends its step with a message naming it", "[https][client][timeouts]") {
  Server srv([](const ServerRequest& r) {
    Reply reply = ok(std::string(10 * 1024, 'z'));
    reply.piece = 1024;
    if (r.target == "/late-header") reply.header_delay = 5s;
    if (r.target == "/stalled-body") reply.piece_pause = 5s;
    if (r.target == "/slow-body") reply.piece_pause = 40ms;
    if (r.target == "/silent") reply.no_answer = true;
    return reply;
  });
  ClientOptions o = ClientSide::defaults();
  o.request_timeout = 200ms;
  o.body_idle_timeout = 200ms;
  o.body_timeout = 100s;
  {
    ClientSide c(o);
    auto late = c.get(srv.url("/late-header"));
    CHECK(late.stage == Stage::request);
    CHECK_THAT(late.error, Catch::EndsWith("timed out after 200 ms"));
    CHECK(late.retryable);
    auto silent = c.get(srv.url("/silent"));
    CHECK(silent.stage == Stage::request);
    auto stalled = c.get(srv.url("/stalled-body"));
    CHECK(stalled.stage == Stage::body);
    CHECK_THAT(stalled.error, Catch::EndsWith("no body data for 200 ms"));
  }
  o.body_idle_timeout = 10s;
  o.body_timeout = 150ms;
  ClientSide whole(o);
  auto slow = whole.get(srv.url("/slow-body"));
  CHECK(slow.stage == Stage::body);
  CHECK_THAT(slow.error, Catch::EndsWith("body not complete within 150 ms"));
}

TEST_CASE("connect and TLS handshake timeouts", "[https][client][timeouts]") {
  sr::net::IoPool pool(1);
  auto work = asio::make_work_guard(pool.executor());
  // Accepts TCP, never speaks TLS.
  tcp::acceptor mute(pool.context(), {asio::ip::make_address("127.0.0.1"), 0});
  std::vector<tcp::socket> held;
  mute.async_accept([&](boost::system::error_code ec, tcp::socket s) {
    if (!ec) held.push_back(std::move(s));
  });
  pool.start();
  ClientOptions o = ClientSide::defaults();
  o.handshake_timeout = 200ms;
  ClientSide c(o);
  auto r = c.get("https://127.0.0.1:" + std::to_string(mute.local_endpoint().port()) + "/");
  CHECK(r.stage == Stage::tls);
  CHECK_THAT(r.error, Catch::EndsWith("timed out after 200 ms"));
  asio::post(pool.executor(), [&] {
    mute.close();
    held.clear();
  });
  work.reset();
  pool.join();

  // Nothing listens: refused at once (the connect stage, not a timeout).
  tcp::acceptor probe(c.pool.context(), {asio::ip::make_address("127.0.0.1"), 0});
  const auto free_port = probe.local_endpoint().port();
  probe.close();
  auto refused = c.get("https://127.0.0.1:" + std::to_string(free_port) + "/");
  CHECK(refused.stage == Stage::connect);
  CHECK_THAT(refused.error, Catch::Contains("connecting to 127.0.0.1:"));
}

TEST_CASE("a reset mid-body and a short body fail at the body stage", "[https][client]") {
  Server srv([](const ServerRequest& r) {
    Reply reply = ok(std::string(100'000, 'q'));
    if (r.target == "/reset") reply.reset_after = 5000;
    if (r.target == "/short") {
      reply.declared_length = 200'000;
      reply.close = true;
    }
    return reply;
  });
  ClientSide c;
  auto reset = c.get(srv.url("/reset"));
  CHECK(reset.stage == Stage::body);
  CHECK(reset.head.status == 200);  // the head had arrived
  auto short_body = c.get(srv.url("/short"));
  CHECK(short_body.stage == Stage::body);
  CHECK_THAT(short_body.error, Catch::EndsWith("the server closed the connection early"));
}

TEST_CASE("plain http: a GET, keep-alive reuse across requests, no tls stage",
          "[https][client][plain]") {
  std::vector<std::string> seen;  // on the server's strand, read after the sends
  Server srv(
      [&](const ServerRequest& r) {
        seen.push_back(r.target + " " + r.header("host") + (r.tls ? " tls" : " plain"));
        return ok(R"({"path":")" + r.target + R"("})");
      },
      "", true);
  ClientSide c;
  std::string body;
  auto first = c.get(srv.url("/api/dcim/devices/?limit=2"), body);
  REQUIRE(first.ok());
  CHECK(first.head.status == 200);
  CHECK(first.head.content_type == "application/json");
  CHECK(body == R"({"path":"/api/dcim/devices/?limit=2"})");
  auto second = c.get(srv.url("/second"), body);
  REQUIRE(second.ok());
  CHECK(body == R"({"path":"/second"})");
  CHECK(srv.server.connections_accepted() == 1);
  CHECK(c.client->stats().connections_opened == 1);
  CHECK(c.client->stats().connections_reused == 1);
  CHECK(seen == std::vector<std::string>{"/api/dcim/devices/?limit=2 " + srv.authority() + " plain",
                                         "/second " + srv.authority() + " plain"});
  // An http URL without a port means port 80 (nothing is expected to listen there).
  auto port80 = c.get("http://127.0.0.1/x");
  if (!port80.ok()) {
    CHECK(port80.stage == Stage::connect);
    CHECK_THAT(port80.error, Catch::StartsWith("GET http://127.0.0.1/x: connecting to 127.0.0.1:80:"));
  }
  // Other schemes are still refused before anything is sent.
  auto ftp = c.get("ftp://127.0.0.1/x");
  CHECK(ftp.stage == Stage::connect);
  CHECK(ftp.error == "only https:// and http:// URLs are supported, not ftp://127.0.0.1/x");
  CHECK_FALSE(ftp.retryable);
}

TEST_CASE("an http URL never reuses an https connection to the same host:port, nor the reverse",
          "[https][client][plain][keepalive]") {
  {
    Server tls_srv([](const ServerRequest&) { return ok("{}"); });
    ClientSide c;
    REQUIRE(c.get(tls_srv.url("/tls")).ok());  // a TLS connection now waits in the pool
    auto plain = c.get("http://" + tls_srv.authority() + "/plain");
    INFO(plain.error);
    CHECK_FALSE(plain.ok());  // plain text to a TLS server: it hangs up
    CHECK(plain.stage == Stage::request);
    CHECK_THAT(plain.error, Catch::StartsWith("GET http://" + tls_srv.authority() + "/plain: "));
    CHECK(c.client->stats().connections_opened == 2);
    CHECK(c.client->stats().connections_reused == 0);
    CHECK(tls_srv.server.requests() == 1);
    CHECK(c.get(tls_srv.url("/tls-again")).ok());  // the TLS one is still there for https
    CHECK(c.client->stats().connections_reused == 1);
  }
  Server plain_srv([](const ServerRequest&) { return ok("{}"); }, "", true);
  ClientSide c;
  REQUIRE(c.get(plain_srv.url("/plain")).ok());  // a plain connection now waits in the pool
  auto tls = c.get("https://" + plain_srv.authority() + "/tls");
  INFO(tls.error);
  CHECK_FALSE(tls.ok());
  CHECK(tls.stage == Stage::tls);
  CHECK(c.client->stats().connections_opened == 2);
  CHECK(c.client->stats().connections_reused == 0);
  CHECK(plain_srv.server.requests() == 1);
  CHECK(c.get(plain_srv.url("/plain-again")).ok());
  CHECK(c.client->stats().connections_reused == 1);
}

TEST_CASE("over plain http the body limit, gzip, a cut body and timeouts fail as over https",
          "[https][client][plain][limits]") {
  const std::string big(2 << 20, 'x');
  Server srv(
      [&](const ServerRequest& r) {
        if (r.target == "/big") return ok(big);
        Reply reply = ok(std::string(100'000, 'q'));
        if (r.target == "/reset") reply.reset_after = 5000;
        if (r.target == "/short") {
          reply.declared_length = 200'000;
          reply.close = true;
        }
        if (r.target == "/silent") reply.no_answer = true;
        if (r.target == "/zipped" || r.target == "/bomb") {
          reply.body = r.target == "/bomb" ? std::string(64 << 20, ' ') : std::string(300'000, 'y');
          reply.gzip = true;
        }
        return reply;
      },
      "", true);
  ClientOptions o = ClientSide::defaults();
  o.body_limit = 1 << 20;
  ClientSide c(o);
  auto too_big = c.get(srv.url("/big"));
  CHECK(too_big.stage == Stage::body);
  CHECK(too_big.error == "GET " + srv.url("/big") + ": body larger than the 1048576 byte limit");
  CHECK_FALSE(too_big.retryable);
  std::string body;
  auto zipped = c.get(srv.url("/zipped"), body);
  REQUIRE(zipped.ok());
  CHECK(body == std::string(300'000, 'y'));
  auto bomb = c.get(srv.url("/bomb"));
  CHECK(bomb.stage == Stage::body);
  CHECK_THAT(bomb.error, Catch::EndsWith("gzip body decodes to more than the 1048576 byte limit"));
  auto reset = c.get(srv.url("/reset"));
  CHECK(reset.stage == Stage::body);
  CHECK(reset.head.status == 200);
  auto short_body = c.get(srv.url("/short"));
  CHECK(short_body.stage == Stage::body);
  CHECK(short_body.error == "GET " + srv.url("/short") + ": the server closed the connection early");
  o.request_timeout = 200ms;
  ClientSide impatient(o);
  auto silent = impatient.get(srv.url("/silent"));
  CHECK(silent.stage == Stage::request);
  CHECK(silent.error == "GET " + srv.url("/silent") + ": timed out after 200 ms");
}

namespace {

// A minimal HTTP proxy: CONNECT tunnels (relaying bytes both ways) and
// absolute-form requests (each forwarded in origin form, without its
// Proxy-Authorization; GETs only). Records each request line and its
// Proxy-Authorization. With `need_auth`, absolute-form requests without
// credentials are answered 407.
class TestProxy {
 public:
  explicit TestProxy(bool need_auth = false)
      : need_auth_(need_auth), acceptor_(pool_.context(), {asio::ip::make_address("127.0.0.1"), 0}) {
    asio::co_spawn(pool_.executor(), accept_loop(), asio::detached);
    pool_.start();
  }
  ~TestProxy() {
    asio::post(pool_.executor(), [this] { acceptor_.close(); });
    pool_.stop();
    pool_.join();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::vector<std::string> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, s] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      asio::co_spawn(pool_.executor(), tunnel(std::move(s)), asio::detached);
    }
  }
  // One request head: its line and Proxy-Authorization are recorded.
  struct Head {
    std::string text, line, auth;
  };
  asio::awaitable<std::optional<Head>> read_head(tcp::socket& client, asio::streambuf& in) {
    auto [ec, n] = co_await asio::async_read_until(client, in, "\r\n\r\n",
                                                   asio::as_tuple(asio::use_awaitable));
    if (ec) co_return std::nullopt;
    Head h;
    h.text.assign(asio::buffers_begin(in.data()), asio::buffers_begin(in.data()) + n);
    in.consume(n);
    h.line = h.text.substr(0, h.text.find("\r\n"));
    const auto auth_at = h.text.find("Proxy-Authorization: ");
    if (auth_at != std::string::npos) {
      const auto end = h.text.find("\r\n", auth_at) + 2;
      h.auth = h.text.substr(auth_at + 21, end - 2 - auth_at - 21);
      h.text.erase(auth_at, end - auth_at);  // never forwarded
    }
    std::lock_guard lock(mu_);
    requests_.push_back(h.line + (h.auth.empty() ? "" : " | " + h.auth));
    co_return h;
  }

  asio::awaitable<void> tunnel(tcp::socket client) {
    constexpr auto tuple = asio::as_tuple(asio::use_awaitable);
    asio::streambuf head;
    auto first = co_await read_head(client, head);
    if (!first) co_return;
    if (!first->line.starts_with("CONNECT ")) {
      co_await forward(std::move(client), head, *first);
      co_return;
    }
    const auto& line = first->line;
    const auto authority = line.substr(8, line.find(' ', 8) - 8);
    const auto colon = authority.rfind(':');
    tcp::socket upstream(client.get_executor());
    tcp::resolver resolver(client.get_executor());
    auto [rec, eps] = co_await resolver.async_resolve(authority.substr(0, colon),
                                                      authority.substr(colon + 1), tuple);
    if (!rec) std::tie(rec, std::ignore) = co_await asio::async_connect(upstream, eps, tuple);
    const std::string answer = rec ? "HTTP/1.1 502 Bad Gateway\r\n\r\n" : "HTTP/1.1 200 OK\r\n\r\n";
    co_await asio::async_write(client, asio::buffer(answer), tuple);
    if (rec) co_return;
    auto c = std::make_shared<tcp::socket>(std::move(client));
    auto u = std::make_shared<tcp::socket>(std::move(upstream));
    asio::co_spawn(c->get_executor(), relay(c, u), asio::detached);
    co_await relay(u, c);
  }

  // "GET http://host:port/path HTTP/1.1": to host:port as "GET /path HTTP/1.1",
  // and so each following request on this connection (all to the same server).
  asio::awaitable<void> forward(tcp::socket client, asio::streambuf& in, Head h) {
    constexpr auto tuple = asio::as_tuple(asio::use_awaitable);
    if (need_auth_ && h.auth.empty()) {
      const std::string answer =
          "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"t\"\r\n"
          "Content-Length: 0\r\nConnection: close\r\n\r\n";
      co_await asio::async_write(client, asio::buffer(answer), tuple);
      co_return;
    }
    auto c = std::make_shared<tcp::socket>(std::move(client));
    auto u = std::make_shared<tcp::socket>(c->get_executor());
    std::string authority;
    for (bool first = true;; first = false) {
      // Method, then "http://", the authority, the path.
      const auto sp = h.line.find(' ');
      const auto path_at = h.line.find('/', sp + 8);
      const auto this_authority = h.line.substr(sp + 8, path_at - sp - 8);
      if (first) {
        authority = this_authority;
        const auto colon = authority.rfind(':');
        tcp::resolver resolver(c->get_executor());
        auto [rec, eps] = co_await resolver.async_resolve(authority.substr(0, colon),
                                                          authority.substr(colon + 1), tuple);
        if (!rec) std::tie(rec, std::ignore) = co_await asio::async_connect(*u, eps, tuple);
        if (rec) {
          const std::string answer = "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n";
          co_await asio::async_write(*c, asio::buffer(answer), tuple);
          co_return;
        }
        asio::co_spawn(c->get_executor(), relay(u, c), asio::detached);
      } else if (this_authority != authority) {
        break;  // this test proxy keeps one server per connection
      }
      h.text.replace(sp + 1, path_at - sp - 1, "");  // origin form
      auto [wec, wn] = co_await asio::async_write(*u, asio::buffer(h.text), tuple);
      if (wec) break;
      auto next = co_await read_head(*c, in);
      if (!next) break;
      h = std::move(*next);
    }
    boost::system::error_code ignored;
    u->shutdown(tcp::socket::shutdown_send, ignored);
  }

  static asio::awaitable<void> relay(std::shared_ptr<tcp::socket> from,
                                     std::shared_ptr<tcp::socket> to) {
    std::array<char, 16 * 1024> buf;
    for (;;) {
      auto [ec, n] = co_await from->async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
      if (ec) break;
      auto [wec, wn] = co_await asio::async_write(*to, asio::buffer(buf.data(), n),
                                                  asio::as_tuple(asio::use_awaitable));
      if (wec) break;
    }
    boost::system::error_code ignored;
    to->shutdown(tcp::socket::shutdown_send, ignored);
  }

  const bool need_auth_;
  sr::net::IoPool pool_{1};
  tcp::acceptor acceptor_;
  mutable std::mutex mu_;
  std::vector<std::string> requests_;
};

}  // namespace

TEST_CASE("through an HTTP proxy by CONNECT, with its credentials; NO_PROXY bypasses it",
          "[https][client][proxy]") {
  Server srv([](const ServerRequest&) { return ok(R"({"via":"tunnel"})"); });
  TestProxy proxy;
  ClientOptions o = ClientSide::defaults();
  auto config = ProxyConfig::parse("http://ops:pa55@127.0.0.1:" + std::to_string(proxy.port()),
                                   "internal.example");
  REQUIRE(config.ok());
  o.proxy = *config;
  ClientSide c(o);
  std::string body;
  auto r = c.get(srv.url("/x"), body);
  REQUIRE(r.ok());
  CHECK(body == R"({"via":"tunnel"})");
  const auto seen = proxy.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0] == "CONNECT 127.0.0.1:" + std::to_string(srv.server.port()) +
                       " HTTP/1.1 | Basic b3BzOnBhNTU=");
  // With the server's address in NO_PROXY: straight to the server.
  o.proxy = ProxyConfig::parse("http://127.0.0.1:" + std::to_string(proxy.port()),
                               "internal.example, 127.0.0.1").value();
  ClientSide direct(o);
  CHECK(direct.get(srv.url("/y")).ok());
  CHECK(proxy.requests().size() == 1);
}

TEST_CASE("a proxy that refuses the tunnel fails at the proxy stage", "[https][client][proxy]") {
  TestProxy proxy;
  ClientOptions o = ClientSide::defaults();
  o.proxy = ProxyConfig::parse("127.0.0.1:" + std::to_string(proxy.port()), "").value();
  ClientSide c(o);
  // Nothing listens on port 1: the proxy answers 502.
  auto r = c.get("https://127.0.0.1:1/");
  CHECK(r.stage == Stage::proxy);
  CHECK_THAT(r.error, Catch::EndsWith("refused the tunnel to 127.0.0.1:1: HTTP 502"));
}

TEST_CASE("plain http through an HTTP proxy: absolute-form requests with its credentials, no CONNECT",
          "[https][client][proxy][plain]") {
  std::vector<std::string> seen;  // on the server's strand, read after the sends
  Server srv(
      [&](const ServerRequest& r) {
        seen.push_back(r.target + " " + r.header("host") +
                       (r.header("proxy-authorization").empty() ? "" : " with proxy credentials"));
        return ok(R"({"via":"proxy"})");
      },
      "", true);
  TestProxy proxy;
  ClientOptions o = ClientSide::defaults();
  o.proxy = ProxyConfig::parse("http://ops:pa55@127.0.0.1:" + std::to_string(proxy.port()),
                               "internal.example").value();
  ClientSide c(o);
  std::string body;
  REQUIRE(c.get(srv.url("/x?q=1"), body).ok());
  CHECK(body == R"({"via":"proxy"})");
  REQUIRE(c.get(srv.url("/y")).ok());
  const auto auth = " HTTP/1.1 | Basic b3BzOnBhNTU=";
  CHECK(proxy.requests() == std::vector<std::string>{"GET http://" + srv.authority() + "/x?q=1" + auth,
                                                     "GET http://" + srv.authority() + "/y" + auth});
  CHECK(seen == std::vector<std::string>{"/x?q=1 " + srv.authority(), "/y " + srv.authority()});
  CHECK(c.client->stats().connections_opened == 1);  // the connection to the proxy, kept
  CHECK(c.client->stats().connections_reused == 1);
  // An https URL to the same host:port through the same proxy gets its own
  // connection, by CONNECT (the plain server then refuses the TLS handshake).
  auto tls = c.get("https://" + srv.authority() + "/z");
  CHECK(tls.stage == Stage::tls);
  CHECK(proxy.requests().back() == "CONNECT " + srv.authority() + auth);
  CHECK(c.client->stats().connections_opened == 2);
  // NO_PROXY bypasses it for http as for https.
  o.proxy = ProxyConfig::parse("http://127.0.0.1:" + std::to_string(proxy.port()),
                               "internal.example, 127.0.0.1").value();
  ClientSide direct(o);
  const auto before = proxy.requests().size();
  CHECK(direct.get(srv.url("/direct")).ok());
  CHECK(proxy.requests().size() == before);
}

TEST_CASE("a proxy asking for credentials on a plain request fails at the proxy stage",
          "[https][client][proxy][plain]") {
  Server srv([](const ServerRequest&) { return ok("{}"); }, "", true);
  TestProxy proxy(true);
  ClientOptions o = ClientSide::defaults();
  o.proxy = ProxyConfig::parse("127.0.0.1:" + std::to_string(proxy.port()), "").value();
  ClientSide c(o);
  auto r = c.get(srv.url("/x"));
  CHECK(r.stage == Stage::proxy);
  CHECK(r.error == "GET " + srv.url("/x") + ": proxy 127.0.0.1:" + std::to_string(proxy.port()) +
                       " refused the request to " + srv.authority() + ": HTTP 407");
  CHECK(srv.server.requests() == 0);
}

TEST_CASE("cancelling a send ends it at once", "[https][client][cancel]") {
  Server srv([](const ServerRequest&) {
    Reply r;
    r.no_answer = true;
    return r;
  });
  ClientSide c;
  const std::string url = srv.url("/hang");
  Request req;
  req.url = *boost::urls::parse_uri(url);
  asio::cancellation_signal cancel;
  std::promise<Result> done;
  std::string body;
  asio::co_spawn(c.pool.executor(),
                 [&]() -> asio::awaitable<Result> { co_return co_await c.client->send(req, body); },
                 asio::bind_cancellation_slot(cancel.slot(),
                                              [&](std::exception_ptr e, Result r) {
                                                if (e) r.error = "exception";
                                                done.set_value(r);
                                              }));
  REQUIRE(sr::test::eventually([&] { return srv.server.requests() == 1; }));
  asio::post(c.pool.executor(), [&] { cancel.emit(asio::cancellation_type::terminal); });
  auto f = done.get_future();
  auto r = get_bounded(f, "cancelled send");
  CHECK(r.stage == Stage::request);
  CHECK_THAT(r.error, Catch::EndsWith("cancelled"));
}

// tools/fake-inventory itself, through the client: the flags the end-to-end
// tests use (--plain, --first-slot, --netbox-next-origin).
namespace {

struct FakeInventory {
  explicit FakeInventory(std::vector<std::string> args) {
    const char* program = std::getenv("SR_FAKE_INVENTORY");
    if (!program) sr::test::fail_hard("SR_FAKE_INVENTORY is not set (run the tests through meson)");
    args.insert(args.end(), {"--devices", "120", "--seed", "3", "--netbox-token", "t0k"});
    process = std::make_unique<sr::test::ChildProcess>(program, args);
    auto line = process->wait_for_line("fake-inventory ready");
    if (!line) sr::test::fail_hard("fake-inventory did not start:\n" + process->log_text());
    ready = *line;
  }
  ~FakeInventory() { process->terminate(); }
  std::unique_ptr<sr::test::ChildProcess> process;
  std::string ready;
};

const std::vector<Header> kNetboxAuth{{"Authorization", "Token t0k"}};

std::string server_cert() { return (pki() / "test" / "https-server.pem").string(); }
std::string server_key() { return (pki() / "test" / "https-server.key").string(); }

}  // namespace

TEST_CASE("fake-inventory --netbox-next-origin: next links carry that origin, path and query kept",
          "[https][client][fake-inventory]") {
  FakeInventory fake({"--cert", server_cert(), "--key", server_key(), "--netbox-next-origin",
                      "http://netbox.internal:8080"});
  const auto endpoint = sr::test::field_of(fake.ready, "https");
  REQUIRE_FALSE(endpoint.empty());  // the TLS ready line is unchanged
  ClientSide c;
  std::string body;
  auto r = c.get("https://" + endpoint + "/api/dcim/devices/?limit=50", body, kNetboxAuth);
  REQUIRE(r.ok());
  REQUIRE(r.head.status == 200);
  CHECK_THAT(body, Catch::Contains(
                       R"("next":"http://netbox.internal:8080/api/dcim/devices/?limit=50&offset=50")"));
  // Without the flag: the request's own scheme and Host.
  FakeInventory own({"--cert", server_cert(), "--key", server_key()});
  const auto own_endpoint = sr::test::field_of(own.ready, "https");
  REQUIRE(c.get("https://" + own_endpoint + "/api/dcim/devices/?limit=50", body, kNetboxAuth).ok());
  CHECK_THAT(body, Catch::Contains(R"("next":"https://)" + own_endpoint +
                                   R"(/api/dcim/devices/?limit=50&offset=50")"));
}

TEST_CASE("fake-inventory --plain serves plain HTTP without a certificate; --first-slot moves the boxes",
          "[https][client][fake-inventory][plain]") {
  FakeInventory fake({"--plain", "--first-slot", "5000"});
  CHECK(sr::test::field_of(fake.ready, "https").empty());
  const auto endpoint = sr::test::field_of(fake.ready, "http");
  REQUIRE_FALSE(endpoint.empty());
  ClientSide c;
  std::string body;
  auto r = c.get("http://" + endpoint + "/api/dcim/devices/?limit=50", body, kNetboxAuth);
  REQUIRE(r.ok());
  REQUIRE(r.head.status == 200);
  CHECK_THAT(body, Catch::Contains(R"("next":"http://)" + endpoint +
                                   R"(/api/dcim/devices/?limit=50&offset=50")"));
  CHECK_THAT(body, Catch::Contains(R"({"id":1,)"));  // the same ids ...
  CHECK_THAT(body, Catch::Contains(R"("primary_ip4":{"address":")" +
                                   sr::contract::faker::slot_ip(5000) + R"(/24"})"));  // ... other boxes
  CHECK_THAT(body, Catch::Contains(R"("address":"fd00::13ba/64")"));  // index 49 is IPv6-only: slot 5049 + 1
  // Armis too: a token, then a page, over the same plain connection.
  Request login;
  login.method = "POST";
  login.url = *boost::urls::parse_uri("http://" + endpoint + "/api/v1/access_token/");
  login.headers = {{"Content-Type", "application/json"}};
  login.body = R"({"api_key":"demo-api-key","api_secret":"demo-api-secret"})";
  REQUIRE(c.send(login, body).ok());
  const auto at = body.find(R"("access_token":")");
  REQUIRE(at != std::string::npos);
  const auto token = body.substr(at + 16, body.find('"', at + 16) - at - 16);
  REQUIRE(c.get("http://" + endpoint + "/api/v1/search/?from=0&length=2", body,
                {{"Authorization", "Bearer " + token}})
              .ok());
  CHECK_THAT(body, Catch::Contains(R"("id":1,"ipAddress":")" + sr::contract::faker::slot_ip(5000) + '"'));
  CHECK(c.client->stats().connections_opened == 1);
  // A plain fake refuses TLS.
  CHECK(c.get("https://" + endpoint + "/api/dcim/devices/", body, kNetboxAuth).stage == Stage::tls);
}

TEST_CASE("fake-inventory: bad flag combinations are refused with a reason",
          "[https][client][fake-inventory]") {
  const char* program = std::getenv("SR_FAKE_INVENTORY");
  REQUIRE(program);
  struct Case {
    std::vector<std::string> args;
    std::string why;
  };
  for (const auto& [args, why] : std::vector<Case>{
           {{"--devices", "10"}, "--cert and --key are required (or --plain for plain HTTP)"},
           {{"--plain", "--netbox-next-origin", "netbox.internal:8080/x"}, "--netbox-next-origin"},
           {{"--plain", "--netbox-next-origin", "https://netbox.internal/api"},
            "is not scheme://host[:port]"},
           {{"--plain", "--devices", "10", "--first-slot", "17825779"}, "do not fit"}}) {
    sr::test::ChildProcess p(program, args);
    INFO(why);
    CHECK(p.wait_exit() == 64);
    CHECK(p.wait_for_log(why, std::chrono::seconds(5)));
  }
}

namespace {

// A hostile TLS server: it answers the first request with `head` and then
// `fill` again and again, until the client ends the connection or `cap`
// bytes have gone (so a client that keeps reading cannot hang the test). It
// samples this process's RSS every MiB it sends.
class HostileTlsServer {
 public:
  HostileTlsServer(std::string head, std::uint64_t cap) : head_(std::move(head)), cap_(cap) {
    tls_.use_certificate_chain_file((pki() / "test" / "https-server.pem").string());
    tls_.use_private_key_file((pki() / "test" / "https-server.key").string(), asio::ssl::context::pem);
    thread_ = std::thread([this] { serve(); });
  }
  ~HostileTlsServer() { finish(); }
  // Waits for the server's thread (it ends when the client closes).
  void finish() {
    if (!thread_.joinable()) return;
    if (!accepted_) {  // the client never came: unblock accept()
      boost::system::error_code ignored;
      tcp::socket poke(io_);
      poke.connect(acceptor_.local_endpoint(), ignored);
    }
    thread_.join();
  }
  std::string url() const {
    return "https://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/hostile";
  }
  std::uint64_t sent() const { return sent_; }
  sr::test::RssWatch rss;

 private:
  void serve() {
    boost::system::error_code ec;
    tcp::socket socket(io_);
    acceptor_.accept(socket, ec);
    accepted_ = true;
    if (ec) return;
    asio::ssl::stream<tcp::socket&> stream(socket, tls_);
    stream.handshake(asio::ssl::stream_base::server, ec);
    asio::streambuf request;
    if (!ec) asio::read_until(stream, request, "\r\n\r\n", ec);
    if (!ec) sent_ += asio::write(stream, asio::buffer(head_), ec);
    const std::string block(64 * 1024, 'a');
    for (std::uint64_t next_sample = 0; !ec && sent_ < cap_;) {
      sent_ += asio::write(stream, asio::buffer(block), ec);
      if (sent_ >= next_sample) {
        rss.sample();
        next_sample += sr::test::kMiB;
      }
    }
    rss.sample();
  }

  std::string head_;
  std::uint64_t cap_;
  asio::io_context io_;
  asio::ssl::context tls_{asio::ssl::context::tls_server};
  tcp::acceptor acceptor_{io_, {asio::ip::make_address("127.0.0.1"), 0}};
  std::atomic<bool> accepted_{false};
  std::atomic<std::uint64_t> sent_{0};
  std::thread thread_;
};

// Far past the client's 128 KiB buffer limit; this process (the client) may
// grow by 32 MiB at most meanwhile.
constexpr std::uint64_t kHostileCap = 320 * sr::test::kMiB;
constexpr long kRssBoundKib = 32 * 1024;

// One fetch() with the retry policy against the hostile server: it must end
// after one attempt, naming the URL and the limit, memory bounded.
void check_hostile_response(const std::string& head) {
  HostileTlsServer srv(head, kHostileCap);
  ClientOptions o = ClientSide::defaults();
  o.handshake_timeout = 2s;  // a retry (the bug) would meet no second accept
  ClientSide c(o);
  Request r;
  r.url = *boost::urls::parse_uri(srv.url());
  RetryPolicy policy;
  policy.base_delay = 10ms;
  policy.max_delay = 50ms;
  auto f = asio::co_spawn(
      c.pool.executor(),
      [&]() -> asio::awaitable<FetchResult> {
        co_return co_await fetch(*c.client, r, policy, 1, [](const ResponseHead&) -> BodySink {
          return [](std::string_view) { return true; };
        });
      },
      asio::use_future);
  const auto out = get_bounded(f, "fetch from the hostile server");
  srv.finish();
  INFO("server sent " << srv.sent() << " bytes; RSS grew " << srv.rss.growth_kib()
                      << " KiB; error: " << out.error);
  CHECK_FALSE(out.ok());
  CHECK(out.attempts == 1);  // a protocol violation is not retried
  CHECK_FALSE(out.last.retryable);
  CHECK(out.last.stage == Stage::body);
  CHECK_THAT(out.error, Catch::StartsWith("GET " + srv.url() + ": "));
  CHECK_THAT(out.error, Catch::EndsWith("a chunk header or trailer of the response exceeds the "
                                        "131072 byte limit"));
  CHECK(srv.sent() < kHostileCap);
  CHECK(srv.rss.growth_kib() < kRssBoundKib);
}

}  // namespace

TEST_CASE("a response whose chunk extension never ends fails at the buffer limit, not retried",
          "[https][client][limits][hostile]") {
  check_hostile_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;");
}

TEST_CASE("a response whose trailer never ends fails at the buffer limit, not retried",
          "[https][client][limits][hostile]") {
  check_hostile_response(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nz\r\n0\r\nX-Trailer: ");
}
