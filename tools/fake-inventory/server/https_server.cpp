#include "tools/fake-inventory/server/https_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <zlib.h>

#include <atomic>
#include <list>
#include <set>
#include <stdexcept>

namespace sr::fake {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
constexpr auto as_tuple = asio::as_tuple(asio::use_awaitable);

namespace {

std::string gzip(const std::string& in) {
  z_stream z{};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("zlib deflateInit2 failed");
  std::string out(deflateBound(&z, static_cast<uLong>(in.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string status_line(unsigned status) {
  const auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(status));
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
}

}  // namespace

struct HttpsServer::Impl : std::enable_shared_from_this<Impl> {
  using Stream = beast::ssl_stream<beast::tcp_stream>;

  Impl(asio::any_io_executor ex, HttpsServerOptions o, Handler h)
      : strand(asio::make_strand(ex)), options(std::move(o)), handler(std::move(h)),
        tls(asio::ssl::context::tls_server), acceptor(strand) {}

  asio::strand<asio::any_io_executor> strand;
  HttpsServerOptions options;
  Handler handler;
  asio::ssl::context tls;
  tcp::acceptor acceptor;
  std::list<std::weak_ptr<Stream>> sessions;  // on the strand only
  std::set<asio::steady_timer*> pausing;      // on the strand only: cancelled by stop()
  std::atomic<std::size_t> header_waits{0};
  std::atomic<std::uint64_t> accepted{0}, served{0};
  std::uint16_t bound_port = 0;
  bool stopping = false;
  std::function<void()> on_stopped;
  std::size_t live = 0;

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(as_tuple);
      // An accept that completed just before stop() ran: not served (its
      // session would start after stop() cancelled the pauses).
      if (ec || stopping) co_return;
      auto stream = std::make_shared<Stream>(std::move(socket), tls);
      sessions.push_back(stream);
      ++live;
      const std::uint64_t id = ++accepted;
      asio::co_spawn(strand, session(stream, id),
                     [self = shared_from_this()](std::exception_ptr) { self->session_ended(); });
    }
  }

  void session_ended() {
    --live;
    sessions.remove_if([](const auto& w) { return w.expired(); });
    if (stopping && live == 0 && on_stopped) std::exchange(on_stopped, nullptr)();
  }

  // A plain session uses only the lowest layer of its ssl_stream.
  asio::awaitable<void> session(std::shared_ptr<Stream> stream, std::uint64_t id) {
    auto& tcp_layer = beast::get_lowest_layer(*stream);
    boost::system::error_code ignored;
    tcp_layer.socket().set_option(asio::ip::tcp::no_delay(true), ignored);  // as real API servers do
    if (options.plain) {
      if (co_await serve(tcp_layer, id)) tcp_layer.socket().shutdown(tcp::socket::shutdown_send, ignored);
      co_return;
    }
    tcp_layer.expires_after(std::chrono::seconds(10));
    auto [hec] = co_await stream->async_handshake(asio::ssl::stream_base::server, as_tuple);
    if (hec) co_return;
    if (!co_await serve(*stream, id)) co_return;
    tcp_layer.expires_after(std::chrono::seconds(5));
    co_await stream->async_shutdown(as_tuple);
  }

  // Requests until the connection ends; true when it should be closed politely.
  template <class S>
  asio::awaitable<bool> serve(S& stream, std::uint64_t id) {
    auto& tcp_layer = beast::get_lowest_layer(stream);
    beast::flat_buffer buffer;
    for (;;) {
      tcp_layer.expires_after(std::chrono::seconds(60));
      bhttp::request_parser<bhttp::string_body> parser;
      parser.body_limit(1 << 20);
      auto [rec, n] = co_await bhttp::async_read(stream, buffer, parser, as_tuple);
      if (rec) co_return false;
      tcp_layer.expires_never();
      const auto& req = parser.get();
      ServerRequest request{std::string(req.method_string()), std::string(req.target()),
                            req.body(), {}, id, !options.plain};
      for (const auto& field : req) {
        std::string name(field.name_string());
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        request.headers[name] = std::string(field.value());
      }
      ++served;
      Reply reply = handler(request);
      if (!co_await answer(stream, reply)) co_return false;
      if (reply.drop_after) {
        tcp_layer.socket().close();
        co_return false;
      }
      if (reply.close || !req.keep_alive()) co_return true;
    }
  }

  // false: the connection is gone (or was dropped on purpose).
  template <class S>
  asio::awaitable<bool> answer(S& stream, Reply& reply) {
    asio::steady_timer timer(strand);
    // false when stop() ended the pause.
    auto pause = [&](std::chrono::milliseconds d) -> asio::awaitable<bool> {
      if (d.count() <= 0 || stopping) co_return !stopping;  // never arm a pause stop() cannot see
      timer.expires_after(d);
      pausing.insert(&timer);
      co_await timer.async_wait(as_tuple);
      pausing.erase(&timer);
      co_return !stopping;
    };
    if (reply.no_answer) {
      char byte;
      co_await stream.async_read_some(asio::buffer(&byte, 1), as_tuple);  // until the client leaves
      co_return false;
    }
    ++header_waits;
    const bool waited = co_await pause(reply.header_delay + options.latency);
    --header_waits;
    if (!waited) co_return false;
    if (reply.gzip) {
      reply.body = gzip(reply.body);
      reply.headers.emplace_back("Content-Encoding", "gzip");
    }
    const std::size_t total = reply.body.size() * reply.repeat;
    std::string head = status_line(reply.status);
    for (const auto& [k, v] : reply.headers) head += k + ": " + v + "\r\n";
    head += "Content-Length: " +
            std::to_string(reply.declared_length != std::numeric_limits<std::size_t>::max()
                               ? reply.declared_length
                               : total) +
            "\r\n";
    if (reply.close) head += "Connection: close\r\n";
    head += "\r\n";
    auto [wec, wn] = co_await asio::async_write(stream, asio::buffer(head), as_tuple);
    if (wec) co_return false;
    std::size_t sent = 0;
    for (std::size_t copy = 0; copy < reply.repeat; ++copy) {
      for (std::size_t at = 0; at < reply.body.size();) {
        std::size_t n = std::min(reply.piece, reply.body.size() - at);
        if (sent + n > reply.reset_after) n = reply.reset_after - sent;
        if (n > 0) {
          auto [ec, w] = co_await asio::async_write(stream, asio::buffer(reply.body.data() + at, n),
                                                    as_tuple);
          if (ec) co_return false;
        }
        at += n;
        sent += n;
        if (sent >= reply.reset_after) {
          beast::get_lowest_layer(stream).socket().close();  // no close_notify: a reset
          co_return false;
        }
        if (!co_await pause(reply.piece_pause)) co_return false;
      }
    }
    co_return true;
  }
};

HttpsServer::HttpsServer(asio::any_io_executor ex, HttpsServerOptions options, Handler handler)
    : impl_(std::make_shared<Impl>(std::move(ex), std::move(options), std::move(handler))) {}

HttpsServer::~HttpsServer() = default;

std::string HttpsServer::start() {
  auto& i = *impl_;
  boost::system::error_code ec;
  if (!i.options.plain) {
    i.tls.use_certificate_chain_file(i.options.cert_file, ec);
    if (!ec) i.tls.use_private_key_file(i.options.key_file, asio::ssl::context::pem, ec);
    if (ec) return "certificate " + i.options.cert_file + ": " + ec.message();
  }
  const auto colon = i.options.listen.rfind(':');
  if (colon == std::string::npos) return "listen address '" + i.options.listen + "' is not host:port";
  std::string host = i.options.listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  const auto address = asio::ip::make_address(host, ec);
  if (ec) return "listen address '" + i.options.listen + "': " + ec.message();
  tcp::endpoint ep(address, static_cast<std::uint16_t>(std::stoi(i.options.listen.substr(colon + 1))));
  i.acceptor.open(ep.protocol(), ec);
  if (!ec) i.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) i.acceptor.bind(ep, ec);
  if (!ec) i.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return "cannot listen on " + i.options.listen + ": " + ec.message();
  i.bound_port = i.acceptor.local_endpoint().port();
  asio::co_spawn(i.strand, i.accept_loop(), asio::detached);
  return {};
}

std::uint16_t HttpsServer::port() const { return impl_->bound_port; }

void HttpsServer::stop(std::function<void()> done) {
  asio::post(impl_->strand, [self = impl_, done = std::move(done)]() mutable {
    self->stopping = true;
    self->on_stopped = std::move(done);
    boost::system::error_code ignored;
    self->acceptor.close(ignored);
    for (auto& w : self->sessions)
      if (auto s = w.lock()) beast::get_lowest_layer(*s).socket().close(ignored);
    for (auto* timer : self->pausing) timer->cancel();
    if (self->live == 0) std::exchange(self->on_stopped, nullptr)();
  });
}

std::uint64_t HttpsServer::connections_accepted() const { return impl_->accepted; }
std::uint64_t HttpsServer::requests() const { return impl_->served; }
std::size_t HttpsServer::answers_waiting() const { return impl_->header_waits; }

}  // namespace sr::fake
