// The HTTPS client reading a response nobody controls: each input is the raw
// bytes a server answers with (status line, headers, body: chunked, gzip,
// truncated, oversized), written over a real TLS connection on loopback to
// the real client. Trust is off here (insecure_skip_verify): this target is
// about parsing, the trust checks have their own tests.
//   SR_FUZZ_PKI: a tools/gen-certs --test-set directory (tools/fuzz sets it)
#include "net/https/client.hpp"
#include "base/read_file.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/write.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

struct Harness {
  asio::io_context ioc;
  asio::ssl::context server_tls{asio::ssl::context::tls_server};
  tcp::acceptor acceptor{ioc, {asio::ip::make_address("127.0.0.1"), 0}};
  std::unique_ptr<sr::net::https::Client> client;
  boost::urls::url url;

  Harness() {
    const char* pki = std::getenv("SR_FUZZ_PKI");
    const std::string dir = pki ? pki : "build-fuzz/pki";
    auto cert = sr::base::read_file(dir + "/test/https-server.pem");
    auto key = sr::base::read_file(dir + "/test/https-server.key");
    if (!cert || !key) {
      std::cerr << "fuzz_https_response: no test PKI in " << dir << " (set SR_FUZZ_PKI)\n";
      std::abort();
    }
    server_tls.use_certificate_chain(asio::buffer(*cert));
    server_tls.use_private_key(asio::buffer(*key), asio::ssl::context::pem);
    sr::net::https::ClientOptions o;
    o.tls.insecure_skip_verify = true;
    o.body_limit = 1 << 20;
    o.request_timeout = std::chrono::milliseconds(2000);
    o.body_idle_timeout = std::chrono::milliseconds(1000);
    o.body_timeout = std::chrono::milliseconds(3000);
    o.max_idle_connections = 0;  // every input on a fresh connection: no state carried over
    auto created = sr::net::https::Client::create(ioc.get_executor(), o);
    if (!created) std::abort();
    client = std::move(*created);
    url = boost::urls::url("https://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()) +
                           "/api/v1/search/?from=0");
  }

  // Accepts one connection, reads the request's head, answers `bytes`, closes.
  asio::awaitable<void> answer(std::string bytes) {
    auto [aec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (aec) co_return;
    asio::ssl::stream<tcp::socket> tls(std::move(socket), server_tls);
    auto [hec] = co_await tls.async_handshake(asio::ssl::stream_base::server, asio::as_tuple(asio::use_awaitable));
    if (hec) co_return;
    std::string request;
    auto [rec, n] = co_await asio::async_read_until(tls, asio::dynamic_buffer(request), "\r\n\r\n",
                                                    asio::as_tuple(asio::use_awaitable));
    if (rec) co_return;
    co_await asio::async_write(tls, asio::buffer(bytes), asio::as_tuple(asio::use_awaitable));
    co_await tls.async_shutdown(asio::as_tuple(asio::use_awaitable));
  }

  asio::awaitable<void> ask() {
    sr::net::https::Request r;
    r.url = url;
    std::size_t got = 0;
    auto result = co_await client->send(r, [&](std::string_view piece) {
      got += piece.size();
      return true;
    });
    // Whatever arrived, the client must have stayed within its limit.
    if (got > client->options().body_limit) std::abort();
    (void)result;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Harness h;
  asio::co_spawn(h.ioc, h.answer(std::string(reinterpret_cast<const char*>(data), size)), asio::detached);
  asio::co_spawn(h.ioc, h.ask(), asio::detached);
  h.ioc.restart();
  h.ioc.run();
  return 0;
}
