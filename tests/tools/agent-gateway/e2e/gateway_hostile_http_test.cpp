// The real gateway's HTTP listener (status page, /status, the admin API)
// against hostile peers: an unauthenticated admin request is refused on its
// header, before a byte of its body is read; bytes Beast does not bound (a
// chunk extension that never ends) leave the gateway's memory bounded, with
// or without the admin token. Outcomes are checked, never durations.
#include "tests/net/http/hostile_client.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/wait.hpp"
#include "tests/tools/agent-gateway/e2e/gateway_fixture.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <string>

using namespace sr::test;

namespace {

const std::string kToken = "admin-token-hostile-0123456789";

// Far past the 16 KiB buffer limit; the gateway may grow by 32 MiB at most.
constexpr std::uint64_t kStreamCap = 400 * kMiB;
constexpr long kRssBoundKib = 32 * 1024;

GatewayFixtureOptions with_admin() {
  GatewayFixtureOptions o;
  o.admin_token = kToken;
  return o;
}

// Sends a request head and nothing more; the answer's first line, read until
// the gateway closes (an event, bounded by the test's timeout).
std::string answer_to_head(const std::string& address, const std::string& head) {
  const int fd = connect_loopback(address);
  REQUIRE(fd >= 0);
  REQUIRE(::send(fd, head.data(), head.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(head.size()));
  timeval bound{static_cast<time_t>(event_timeout().count()), 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &bound, sizeof bound);
  std::string reply;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) reply.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return reply.substr(0, reply.find("\r\n"));
}

void check_bounded(GatewayFixture& gw, const std::string& head) {
  RssWatch rss(std::to_string(gw.process().pid()));
  const auto out = stream_until_closed(gw.http_address(), head, 'a', kStreamCap, [&] { rss.sample(); });
  rss.sample();
  INFO("sent " << out.sent << " bytes; gateway RSS " << rss.baseline << " KiB, grew by "
               << rss.growth_kib() << " KiB");
  CHECK(out.ended_by_server);
  CHECK_FALSE(out.stalled);
  CHECK(rss.growth_kib() < kRssBoundKib);
  CHECK(gw.http_get("/healthz").find("ok") != std::string::npos);  // it still serves
}

}  // namespace

TEST_CASE("an unauthenticated admin request is refused with 401 before its body is read",
          "[gateway][hostile][admin]") {
  GatewayFixture gw(with_admin());
  // 1 GiB announced, never sent: the answer comes at once, and is 401, not 413.
  CHECK(answer_to_head(gw.http_address(),
                       "POST /admin/commands HTTP/1.1\r\nHost: x\r\nContent-Length: 1073741824\r\n\r\n") ==
        "HTTP/1.1 401 Unauthorized");
  // A chunked body announced, never sent: 401 without waiting for a chunk.
  CHECK(answer_to_head(gw.http_address(),
                       "POST /admin/tenants/acme/sources HTTP/1.1\r\nHost: x\r\n"
                       "Authorization: Bearer wrong\r\nTransfer-Encoding: chunked\r\n\r\n") ==
        "HTTP/1.1 401 Unauthorized");
  // With the token the body limit still holds: 413, the body unread.
  CHECK(answer_to_head(gw.http_address(), "POST /admin/commands HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                                              kToken + "\r\nContent-Length: 1073741824\r\n\r\n") ==
        "HTTP/1.1 413 Payload Too Large");
  // A chunked body that never ends, unauthenticated: refused on the header.
  check_bounded(gw, "POST /admin/tenants/acme/sources HTTP/1.1\r\nHost: x\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n");
}

TEST_CASE("a never-ending chunk extension leaves the gateway's memory bounded",
          "[gateway][hostile]") {
  GatewayFixture gw(with_admin());
  SECTION("to /status") {
    check_bounded(gw, "GET /status HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1;");
  }
  SECTION("to the admin API, with the token") {
    check_bounded(gw, "POST /admin/commands HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kToken +
                          "\r\nTransfer-Encoding: chunked\r\n\r\n1;");
  }
}
