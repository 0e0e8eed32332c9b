// The tiny HTTP server, driven by a Beast client on the test thread.
#include "net/http/server.hpp"
#include "net/io_pool.hpp"
#include "tests/net/http/hostile_client.hpp"
#include "tests/support/wait.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <optional>
#include <stdexcept>

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;
using namespace sr::net::http;
using sr::test::get_bounded;

namespace {

struct Fixture {
  explicit Fixture(ServerOptions o = {}) : server(pool.executor(), o) {
    server.route("/status", [](const Request& r) {
      return Response{200, "application/json", R"({"target":")" + r.target + R"("})"};
    });
    server.route("/boom", [](const Request&) -> Response { throw std::runtime_error("secret"); });
    server.route(
        "/echo",
        [](const Request& r) {
          return Response{201, "text/plain", r.method + "|" + r.authorization + "|" + r.body};
        },
        Server::Methods::write);
    server.route_prefix(
        "/things/",
        [](const Request& r) { return Response{200, "text/plain", "things " + r.method + " " + r.target}; },
        Server::Methods::resource);
    server.route_prefix("/things/special/", [](const Request& r) {
      return Response{200, "text/plain", "special " + r.target};
    });
    pool.start();
    auto err = server.start();
    if (!err.empty()) FAIL(err);
  }
  ~Fixture() {
    std::promise<void> stopped;
    server.stop([&] { stopped.set_value(); });
    auto f = stopped.get_future();
    get_bounded(f, "server stop");
    work.reset();
    pool.join();
  }
  tcp::socket connect() {
    tcp::socket s(client_ctx);
    s.connect({asio::ip::make_address("127.0.0.1"), server.port()});
    return s;
  }
  bhttp::response<bhttp::string_body> get(tcp::socket& s, const std::string& target,
                                          bhttp::verb verb = bhttp::verb::get) {
    bhttp::request<bhttp::empty_body> req{verb, target, 11};
    req.set(bhttp::field::host, "localhost");
    bhttp::write(s, req);
    boost::beast::flat_buffer buf;
    bhttp::response_parser<bhttp::string_body> parser;
    if (verb == bhttp::verb::head) parser.skip(true);
    bhttp::read(s, buf, parser);
    return parser.release();
  }

  sr::net::IoPool pool{2};
  asio::executor_work_guard<asio::io_context::executor_type> work{pool.executor()};
  Server server;
  asio::io_context client_ctx;
};

// Reads until the server closes the connection (an event, bounded by the test timeout).
bool closed_by_server(tcp::socket& s) {
  char c;
  boost::system::error_code ec;
  s.read_some(asio::buffer(&c, 1), ec);
  return ec == asio::error::eof || ec == asio::error::connection_reset;
}

}  // namespace

TEST_CASE("routes answer GET and HEAD, keep-alive serves several requests", "[http]") {
  Fixture fx;
  auto s = fx.connect();
  auto r = fx.get(s, "/status?x=1");
  CHECK(r.result_int() == 200);
  CHECK(r.body() == R"({"target":"/status?x=1"})");
  CHECK(r[bhttp::field::content_type] == "application/json");
  CHECK(r[bhttp::field::server] == "serviceradar");
  auto again = fx.get(s, "/status");  // same connection
  CHECK(again.result_int() == 200);
  auto head = fx.get(s, "/status", bhttp::verb::head);
  CHECK(head.result_int() == 200);
  CHECK(head.body().empty());
  CHECK(head[bhttp::field::content_length] == "20");
  CHECK(fx.server.stats().requests == 3);
  CHECK(fx.server.stats().connections_accepted == 1);
}

TEST_CASE("unknown paths, other methods and failing handlers get JSON errors", "[http]") {
  Fixture fx;
  auto s = fx.connect();
  auto missing = fx.get(s, "/nope");
  CHECK(missing.result_int() == 404);
  CHECK(missing.body() == R"({"error":"no route for /nope"})");
  auto post = fx.get(s, "/status", bhttp::verb::post);
  CHECK(post.result_int() == 405);
  CHECK(post[bhttp::field::allow] == "GET, HEAD");
  auto boom = fx.get(s, "/boom");
  CHECK(boom.result_int() == 500);
  CHECK(boom.body() == R"({"error":"internal error"})");  // no exception text
}

TEST_CASE("a write route takes POST with its body and Authorization header, nothing else",
          "[http]") {
  Fixture fx;
  auto s = fx.connect();
  bhttp::request<bhttp::string_body> req{bhttp::verb::post, "/echo", 11};
  req.set(bhttp::field::host, "localhost");
  req.set(bhttp::field::authorization, "Bearer t0k");
  req.body() = R"({"a":1})";
  req.prepare_payload();
  bhttp::write(s, req);
  boost::beast::flat_buffer buf;
  bhttp::response<bhttp::string_body> r;
  bhttp::read(s, buf, r);
  CHECK(r.result_int() == 201);
  CHECK(r.body() == R"(POST|Bearer t0k|{"a":1})");
  auto get = fx.get(s, "/echo");
  CHECK(get.result_int() == 405);
  CHECK(get[bhttp::field::allow] == "POST");
  CHECK(get.body() == R"({"error":"only POST"})");
}

TEST_CASE("prefix routes: the longest prefix wins, exact routes first, the prefix alone is not matched",
          "[http]") {
  Fixture fx;
  auto s = fx.connect();
  auto a = fx.get(s, "/things/a/b?q=1");
  CHECK(a.result_int() == 200);
  CHECK(a.body() == "things GET /things/a/b?q=1");
  auto del = fx.get(s, "/things/a", bhttp::verb::delete_);
  CHECK(del.body() == "things DELETE /things/a");
  auto patch = fx.get(s, "/things/a", bhttp::verb::patch);
  CHECK(patch.body() == "things PATCH /things/a");
  auto special = fx.get(s, "/things/special/x");
  CHECK(special.body() == "special /things/special/x");
  auto special_post = fx.get(s, "/things/special/x", bhttp::verb::post);  // a read route
  CHECK(special_post.result_int() == 405);
  CHECK(special_post[bhttp::field::allow] == "GET, HEAD");
  CHECK(fx.get(s, "/things/").result_int() == 404);
  CHECK(fx.get(s, "/thingsx").result_int() == 404);
  auto options = fx.get(s, "/things/a", bhttp::verb::options);
  CHECK(options.result_int() == 405);
  CHECK(options[bhttp::field::allow] == "GET, HEAD, POST, PUT, PATCH, DELETE");
}

TEST_CASE("malformed and oversized requests are refused and counted", "[http]") {
  ServerOptions o;
  o.max_header_bytes = 512;
  Fixture fx(o);
  {
    auto s = fx.connect();
    asio::write(s, asio::buffer(std::string("NOT HTTP AT ALL\r\n\r\n")));
    boost::beast::flat_buffer buf;
    bhttp::response<bhttp::string_body> r;
    bhttp::read(s, buf, r);
    CHECK(r.result_int() == 400);
    CHECK(closed_by_server(s));
  }
  {
    auto s = fx.connect();
    std::string req = "GET /status HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(2048, 'a') + "\r\n\r\n";
    asio::write(s, asio::buffer(req));
    boost::beast::flat_buffer buf;
    bhttp::response<bhttp::string_body> r;
    bhttp::read(s, buf, r);
    CHECK(r.result_int() == 413);
  }
  CHECK(fx.server.stats().bad_requests == 2);
}

TEST_CASE("a silent connection is closed after the idle timeout", "[http]") {
  ServerOptions o;
  o.read_timeout = std::chrono::seconds(1);
  Fixture fx(o);
  auto s = fx.connect();
  CHECK(closed_by_server(s));
  // The socket closes just before the session counts the timeout.
  CHECK(sr::test::eventually([&] { return fx.server.stats().timeouts == 1; }));
}

TEST_CASE("connections beyond the limit are refused", "[http]") {
  ServerOptions o;
  o.max_connections = 1;
  Fixture fx(o);
  auto first = fx.connect();
  CHECK(fx.get(first, "/status").result_int() == 200);  // the session is surely registered
  auto second = fx.connect();
  CHECK(closed_by_server(second));
  CHECK(fx.server.stats().connections_refused == 1);
}

TEST_CASE("stop ends open sessions and completes", "[http]") {
  asio::io_context client;  // outlives the fixture, as the socket must
  auto fx = std::make_unique<Fixture>();
  tcp::socket s(client);
  s.connect({asio::ip::make_address("127.0.0.1"), fx->server.port()});
  CHECK(fx->get(s, "/status").result_int() == 200);
  fx.reset();  // stops with the keep-alive connection still open
  CHECK(closed_by_server(s));
}

TEST_CASE("listen errors name the address", "[http]") {
  Fixture fx;
  sr::net::IoPool pool(1);
  ServerOptions taken;
  taken.listen = fx.server.address();
  Server clash(pool.executor(), taken);
  CHECK_THAT(clash.start(), Catch::StartsWith("cannot listen on " + taken.listen + ": "));
  ServerOptions bad;
  bad.listen = "nonsense";
  Server nonsense(pool.executor(), bad);
  CHECK(nonsense.start() == "listen address 'nonsense' is not host:port");
  ServerOptions v6;
  v6.listen = "[::1]:0";
  Server six(pool.executor(), v6);
  const auto err = six.start();
  if (err.empty()) {
    CHECK(six.address().rfind("[::1]:", 0) == 0);
  } else {
    WARN("IPv6 loopback unavailable here: " << err);
  }
}

// Hostile peers: bytes Beast's own limits do not bound (a chunk header or a
// trailer that never ends) must not grow the server's memory.
namespace {

// Streams far past the server's buffer limit (16 KiB by default) and up to
// 320 MiB; the test process (which runs the server) may grow by 32 MiB at most.
constexpr std::uint64_t kStreamCap = 320 * sr::test::kMiB;
constexpr long kRssBoundKib = 32 * 1024;

void check_bounded_stream(Fixture& fx, const std::string& head, char fill) {
  sr::test::RssWatch rss;
  const auto out = sr::test::stream_until_closed("127.0.0.1:" + std::to_string(fx.server.port()),
                                                 head, fill, kStreamCap, [&] { rss.sample(); });
  rss.sample();
  INFO("sent " << out.sent << " bytes; RSS grew " << rss.growth_kib() << " KiB; reply: " << out.reply);
  CHECK(out.ended_by_server);
  CHECK_FALSE(out.stalled);
  CHECK(out.sent < kStreamCap);
  CHECK(rss.growth_kib() < kRssBoundKib);
  CHECK(sr::test::eventually([&] { return fx.server.stats().bad_requests == 1; }));
}

}  // namespace

TEST_CASE("a chunk extension that never ends is refused at the buffer limit, memory bounded",
          "[http][hostile]") {
  Fixture fx;
  check_bounded_stream(fx,
                       "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1;", 'a');
  // The server still serves.
  auto s = fx.connect();
  CHECK(fx.get(s, "/status").result_int() == 200);
}

TEST_CASE("a trailer that never ends is refused at the buffer limit, memory bounded",
          "[http][hostile]") {
  Fixture fx;
  check_bounded_stream(
      fx, "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nz\r\n0\r\nX-T: ",
      'a');
}

// Beast's header limit already bounds this one; kept so a change of buffer
// handling cannot lose it.
TEST_CASE("a header line that never ends is refused, memory bounded", "[http][hostile]") {
  Fixture fx;
  check_bounded_stream(fx, "GET /status HTTP/1.1\r\nHost: x\r\nX-Long: ", 'a');
}

namespace {

// A raw request head; the server's answer, read to its end.
bhttp::response<bhttp::string_body> exchange_head(tcp::socket& s, const std::string& head) {
  asio::write(s, asio::buffer(head));
  boost::beast::flat_buffer buf;
  bhttp::response<bhttp::string_body> r;
  bhttp::read(s, buf, r);
  return r;
}

}  // namespace

TEST_CASE("a route's gate refuses on the header, before the body is read", "[http][gate]") {
  std::atomic<int> handled{0};
  sr::net::IoPool pool{1};
  auto work = asio::make_work_guard(pool.executor());
  auto server = std::make_unique<Server>(pool.executor(), ServerOptions{});
  server->route(
      "/guarded",
      [&](const Request& r) {
        ++handled;
        return Response{200, "text/plain", "body " + std::to_string(r.body.size())};
      },
      Server::Methods::write,
      [](const Request& r) -> std::optional<Response> {
        if (!r.body.empty()) return Response{500, "text/plain", "the gate saw a body"};
        if (r.authorization == "Bearer ok") return std::nullopt;
        return Response{401, "application/json", R"({"error":"no"})"};
      });
  pool.start();
  REQUIRE(server->start().empty());
  const std::string address = "127.0.0.1:" + std::to_string(server->port());
  asio::io_context client;
  auto connect = [&] {
    tcp::socket s(client);
    s.connect({asio::ip::make_address("127.0.0.1"), server->port()});
    return s;
  };

  // 1 GiB announced, none sent: 401 at once (not 413), the connection closed.
  auto s = connect();
  auto big = exchange_head(s, "POST /guarded HTTP/1.1\r\nHost: x\r\nContent-Length: 1073741824\r\n\r\n");
  CHECK(big.result_int() == 401);
  CHECK_FALSE(big.keep_alive());
  CHECK(closed_by_server(s));
  // A chunked body announced, none sent: 401 without waiting for a chunk.
  auto c = connect();
  auto chunked = exchange_head(c, "POST /guarded HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
  CHECK(chunked.result_int() == 401);
  CHECK(closed_by_server(c));
  // A chunked body that never ends: the connection ends and nothing of it
  // is parsed (parsed, it would end as a bad request).
  auto out = sr::test::stream_until_closed(
      address, "POST /guarded HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", 'a',
      64 * sr::test::kMiB);
  CHECK(out.ended_by_server);
  CHECK(out.sent < 64 * sr::test::kMiB);

  // Let through: the body is read, and bounded as before.
  auto ok = connect();
  auto yes = exchange_head(ok, "POST /guarded HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ok\r\n"
                               "Content-Length: 5\r\n\r\nhello");
  CHECK(yes.result_int() == 200);
  CHECK(yes.body() == "body 5");
  auto over = exchange_head(ok, "POST /guarded HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ok\r\n"
                                "Content-Length: 1073741824\r\n\r\n");
  CHECK(over.result_int() == 413);
  CHECK(closed_by_server(ok));
  CHECK(handled == 1);
  CHECK(server->stats().bad_requests == 1);  // the 413 only

  std::promise<void> stopped;
  server->stop([&] { stopped.set_value(); });
  auto f = stopped.get_future();
  get_bounded(f, "gated server stop");
  server.reset();
  work.reset();
  pool.join();
}

namespace {

// RLIMIT_NOFILE bounds descriptor numbers: with the soft limit at the
// lowest free one, no new descriptor can be made.
int lowest_free_fd() {
  const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  ::close(fd);
  return fd;
}

// Sets RLIMIT_NOFILE's soft limit; the old limit comes back with the scope.
struct FdLimit {
  explicit FdLimit(rlim_t soft) {
    ::getrlimit(RLIMIT_NOFILE, &saved);
    rlimit lowered = saved;
    lowered.rlim_cur = soft;
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &lowered) == 0);
  }
  ~FdLimit() { restore(); }
  void restore() { ::setrlimit(RLIMIT_NOFILE, &saved); }
  rlimit saved{};
};

}  // namespace

TEST_CASE("out of descriptors, the accept loop backs off, counts it and serves again after",
          "[http][fd]") {
  Fixture fx;
  // Client sockets made while descriptors are free; then no new descriptor
  // can be made, so the server's accept of each one fails (EMFILE).
  std::vector<tcp::socket> clients;
  for (int i = 0; i < 4; ++i) {
    clients.emplace_back(fx.client_ctx);
    clients.back().open(tcp::v4());
  }
  FdLimit limit(static_cast<rlim_t>(lowest_free_fd()));
  for (auto& c : clients) c.connect({asio::ip::make_address("127.0.0.1"), fx.server.port()});
  // Several failed accepts, each counted (and waited for, not spun on).
  CHECK(sr::test::eventually([&] { return fx.server.stats().accept_backoffs >= 2; }));
  limit.restore();
  // The queued connections are accepted once descriptors are free again.
  for (auto& c : clients) CHECK(fx.get(c, "/status").result_int() == 200);
  CHECK(fx.server.stats().connections_accepted == 4);
}
