// fake-inventory's --latency-ms (HttpsServerOptions::latency): every answer
// waits before its header on a timer, so answers in flight wait at the same
// time on one io thread; stop() ends the waits at once. Then the program
// itself with the flag: token, Armis and NetBox answers arrive intact.
// Outcomes and events are checked, never durations.
#include "net/io_pool.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/wait.hpp"
#include "tools/fake-inventory/server/https_server.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <future>
#include <memory>
#include <optional>

namespace asio = boost::asio;
namespace http = boost::beast::http;
using namespace std::chrono_literals;
using tcp = asio::ip::tcp;
using sr::fake::HttpsServer;
using sr::fake::Reply;
using sr::fake::ServerRequest;

namespace {

// A plain scripted server with `latency` on a one-thread pool: the worst case
// for concurrency (a blocking wait would hold every other answer).
struct PlainServer {
  explicit PlainServer(std::chrono::milliseconds latency)
      : pool(1), work(asio::make_work_guard(pool.executor())),
        server(pool.executor(), options(latency), [](const ServerRequest& r) {
          Reply reply;
          reply.body = "answer to " + r.target;
          return reply;
        }) {
    REQUIRE(server.start().empty());
    pool.start();
  }
  ~PlainServer() {
    stop();
    work.reset();
    pool.join();
  }
  static sr::fake::HttpsServerOptions options(std::chrono::milliseconds latency) {
    sr::fake::HttpsServerOptions o;
    o.plain = true;
    o.latency = latency;
    return o;
  }
  void stop() {
    if (stopped) return;
    stopped = true;
    std::promise<void> done;
    server.stop([&] { done.set_value(); });
    auto f = done.get_future();
    sr::test::get_bounded(f, "the server's stop");
  }
  tcp::endpoint endpoint() const { return {asio::ip::make_address("127.0.0.1"), server.port()}; }

  sr::net::IoPool pool;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  HttpsServer server;
  bool stopped = false;
};

// One connection of the test thread, blocking (the server runs elsewhere).
struct Connection {
  Connection(asio::io_context& ioc, const tcp::endpoint& at) : socket(ioc) { socket.connect(at); }
  void send(const std::string& target, const std::string& host, const std::string& auth = "",
            const std::string& method = "GET", const std::string& body = "") {
    http::request<http::string_body> req{method == "POST" ? http::verb::post : http::verb::get, target, 11};
    req.set(http::field::host, host);
    if (!auth.empty()) req.set(http::field::authorization, auth);
    if (!body.empty()) req.set(http::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
    http::write(socket, req);
  }
  http::response<http::string_body> receive() {
    http::response<http::string_body> res;
    http::read(socket, buffer, res);
    return res;
  }
  tcp::socket socket;
  boost::beast::flat_buffer buffer;
};

// The value of "key":"value" in a JSON body.
std::string json_field(const std::string& body, const std::string& key) {
  const auto at = body.find("\"" + key + "\":\"");
  if (at == std::string::npos) return {};
  const auto from = at + key.size() + 4;
  return body.substr(from, body.find('"', from) - from);
}

}  // namespace

TEST_CASE("latency: answers in flight wait at the same time on one io thread; stop ends the waits",
          "[tools][fake-inventory][latency]") {
  // Ten minutes: no answer can come while the test looks.
  PlainServer s(std::chrono::minutes(10));
  asio::io_context client;
  Connection a(client, s.endpoint()), b(client, s.endpoint());
  a.send("/first", "x");
  b.send("/second", "x");
  // Both requests were read and both answers are waiting for their header:
  // with the one thread blocked by the first wait, the second could not be.
  CHECK(sr::test::eventually([&] { return s.server.answers_waiting() == 2; }));
  CHECK(s.server.requests() == 2);
  s.stop();  // bounded: the waits end at once
  CHECK(s.server.answers_waiting() == 0);
  // Neither connection got a byte of an answer before it was closed.
  for (auto* c : {&a, &b}) {
    char byte;
    boost::system::error_code ec;
    const auto n = asio::read(c->socket, asio::buffer(&byte, 1), ec);
    CHECK(n == 0);
    CHECK(ec);
  }
}

TEST_CASE("latency: concurrent answers arrive whole, and keep-alive still works",
          "[tools][fake-inventory][latency]") {
  PlainServer s(20ms);
  asio::io_context client;
  Connection a(client, s.endpoint()), b(client, s.endpoint());
  a.send("/a1", "x");
  b.send("/b1", "x");
  auto rb = b.receive();
  auto ra = a.receive();
  CHECK(ra.result_int() == 200);
  CHECK(ra.body() == "answer to /a1");
  CHECK(rb.body() == "answer to /b1");
  a.send("/a2", "x");  // the same connection, waited again
  CHECK(a.receive().body() == "answer to /a2");
  CHECK(s.server.requests() == 3);
  CHECK(s.server.connections_accepted() == 2);
}

namespace {

const char* program() {
  const char* p = std::getenv("SR_FAKE_INVENTORY");
  if (!p) sr::test::fail_hard("SR_FAKE_INVENTORY is not set (run the tests through meson)");
  return p;
}

struct FakeInventory {
  explicit FakeInventory(std::vector<std::string> args) {
    args.insert(args.end(), {"--plain", "--devices", "120", "--seed", "3", "--netbox-token", "t0k"});
    process = std::make_unique<sr::test::ChildProcess>(program(), args);
    auto line = process->wait_for_line("fake-inventory ready");
    if (!line) sr::test::fail_hard("fake-inventory did not start:\n" + process->log_text());
    endpoint = sr::test::field_of(*line, "http");
  }
  tcp::endpoint address() const {
    const auto colon = endpoint.rfind(':');
    return {asio::ip::make_address(endpoint.substr(0, colon)),
            static_cast<unsigned short>(std::stoi(endpoint.substr(colon + 1)))};
  }
  std::unique_ptr<sr::test::ChildProcess> process;
  std::string endpoint;
};

}  // namespace

TEST_CASE("fake-inventory --latency-ms: token, Armis pages and NetBox pages answer as without it",
          "[tools][fake-inventory][latency]") {
  FakeInventory fake({"--latency-ms", "50"});
  asio::io_context client;
  Connection c(client, fake.address());
  c.send("/api/v1/access_token/", fake.endpoint, "", "POST",
         R"({"api_key":"demo-api-key","api_secret":"demo-api-secret"})");
  const auto login = c.receive();
  REQUIRE(login.result_int() == 200);
  const auto token = json_field(login.body(), "access_token");
  REQUIRE_FALSE(token.empty());
  // Two Armis pages and a NetBox page in flight at once on three connections.
  Connection p1(client, fake.address()), p2(client, fake.address()), nb(client, fake.address());
  p1.send("/api/v1/search/?from=0&length=100", fake.endpoint, "Bearer " + token);
  p2.send("/api/v1/search/?from=100&length=100", fake.endpoint, "Bearer " + token);
  nb.send("/api/dcim/devices/?limit=50&offset=100", fake.endpoint, "Token t0k");
  const auto page2 = p2.receive(), page1 = p1.receive(), netbox = nb.receive();
  CHECK(page1.result_int() == 200);
  CHECK_THAT(page1.body(), Catch::Contains(R"("next":100)"));
  CHECK_THAT(page1.body(), Catch::Contains(R"({"id":1,)"));
  CHECK(page2.result_int() == 200);
  CHECK_THAT(page2.body(), Catch::Contains(R"("total":120)"));
  CHECK_THAT(page2.body(), Catch::Contains(R"({"id":101,)"));
  CHECK(netbox.result_int() == 200);
  CHECK_THAT(netbox.body(), Catch::Contains(R"("count":120)"));
  CHECK_THAT(netbox.body(), Catch::Contains(R"({"id":101,)"));
  CHECK(fake.process->terminate() == 0);
  CHECK(fake.process->wait_for_log("stopped after 4 requests (2 Armis searches, 1 NetBox pages)"));
}

TEST_CASE("fake-inventory --latency-ms: 0 to 600000; outside refused with a reason",
          "[tools][fake-inventory][latency]") {
  for (const auto* bad : {"-1", "600001"}) {
    sr::test::ChildProcess p(program(), {"--plain", "--latency-ms", bad});
    INFO(bad);
    CHECK(p.wait_exit() == 64);
    CHECK(p.wait_for_log(std::string("--latency-ms must be from 0 to 600000, not ") + bad, 5s));
  }
  // The largest is taken, and SIGTERM does not wait for a pending answer's latency.
  FakeInventory longest({"--latency-ms", "600000"});
  asio::io_context client;
  Connection c(client, longest.address());
  c.send("/api/dcim/devices/?limit=1", longest.endpoint, "Token t0k");
  CHECK(longest.process->terminate() == 0);
}
