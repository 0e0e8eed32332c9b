#include "net/http/server.hpp"

#include "base/backoff.hpp"
#include "base/log/logger.hpp"
#include "base/prometheus_text.hpp"
#include "net/release_after_turn.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <tuple>
#include <vector>

namespace sr::net::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using asio::use_awaitable;
constexpr auto as_tuple = asio::as_tuple(use_awaitable);
// The accept loop's wait while out of descriptors: 50 ms doubling to 1 s.
constexpr std::chrono::milliseconds kFirstBackoff{50}, kMaxBackoff{1000};

struct Server::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::any_io_executor ex, ServerOptions o)
      : executor(std::move(ex)), strand(asio::make_strand(executor)), options(std::move(o)),
        acceptor(strand), backoff_timer(strand) {}

  asio::any_io_executor executor;
  asio::strand<asio::any_io_executor> strand;  // acceptor and the session table
  ServerOptions options;
  tcp::acceptor acceptor;
  asio::steady_timer backoff_timer;  // the accept loop's wait while out of descriptors
  struct Route {
    Handler handler;
    Methods methods;
    Gate gate;
  };
  std::map<std::string, Route> routes;
  std::map<std::string, Route> prefix_routes;
  const Route* find_route(const std::string& path) const;
  std::atomic<std::uint64_t> requests{0}, accepted{0}, refused{0}, bad{0}, timeouts{0},
      accept_backoffs{0};

  // Session table: guarded by mu (sessions end on their own strands).
  std::mutex mu;
  // Each session's signal is emitted on the session's own strand only: there
  // co_spawn's cancellation runs inline, never after the coroutine has ended.
  struct Session {
    std::shared_ptr<asio::cancellation_signal> signal;
    asio::strand<asio::any_io_executor> strand;
  };
  std::map<std::uint64_t, Session> sessions;
  std::uint64_t next_id = 0;
  bool stopping = false;
  std::atomic<bool> stop_requested{false};
  std::function<void()> on_stopped;

  asio::awaitable<void> accept_loop();
  asio::awaitable<void> session(tcp::socket socket);
  void spawn_session(tcp::socket socket);
  void session_ended(std::uint64_t id);
  void cancel_session(std::uint64_t id);
  // What a request gets: the response and how it is sent.
  struct Answer {
    Response response;
    std::string allow;  // for a 405: the route's methods
    bool keep_alive = false, head = false;
  };
  // After the header, before the body: the route, or the answer that ends the
  // request there (404, 405, the route's gate).
  struct Screened {
    const Route* route = nullptr;
    std::optional<Answer> answer;
  };
  Screened screen(const bhttp::request<bhttp::string_body>& req) const;
  Response run_handler(const Route& route, const bhttp::request<bhttp::string_body>& req) const;
  std::optional<Answer> read_failure(const boost::system::error_code& ec);
  static bhttp::response<bhttp::string_body> response_of(Answer answer);
  std::size_t buffer_limit() const {
    return std::max(options.max_buffer_bytes, 2 * options.max_header_bytes);
  }
  asio::awaitable<bool> back_off(const boost::system::error_code& ec);
  void accepting_again();
  // The accept loop's state of an episode of failed accepts (on the strand).
  base::Backoff backoff{{kFirstBackoff, kMaxBackoff}};
  std::uint64_t episode_failures = 0;
};

namespace {

std::string error_body(const std::string& message) {
  std::string escaped;
  for (char c : message) {
    if (c == '"' || c == '\\') escaped += '\\';
    escaped += c;
  }
  return R"({"error":")" + escaped + R"("})";
}

bool accepts(Server::Methods methods, bhttp::verb v) {
  using V = bhttp::verb;
  switch (methods) {
    case Server::Methods::write: return v == V::post;
    case Server::Methods::resource:
      return v == V::get || v == V::head || v == V::post || v == V::put || v == V::patch ||
             v == V::delete_;
    case Server::Methods::read: break;
  }
  return v == V::get || v == V::head;
}

std::string allowed(Server::Methods methods) {
  switch (methods) {
    case Server::Methods::write: return "POST";
    case Server::Methods::resource: return "GET, HEAD, POST, PUT, PATCH, DELETE";
    case Server::Methods::read: break;
  }
  return "GET, HEAD";
}

Request request_of(const bhttp::request<bhttp::string_body>& req) {
  Request request{std::string(req.method_string()), std::string(req.target()), {}, {}};
  if (auto auth = req.find(bhttp::field::authorization); auth != req.end())
    request.authorization = std::string(auth->value());
  return request;
}

// Accept failures that free descriptors or memory cure; retrying at once
// would only spin.
bool out_of_resources(const boost::system::error_code& ec) {
  namespace errc = boost::system::errc;
  return ec == errc::too_many_files_open || ec == errc::too_many_files_open_in_system ||
         ec == errc::no_buffer_space || ec == errc::not_enough_memory;
}

std::string address_of(const tcp::acceptor& acceptor) {
  boost::system::error_code ec;
  auto ep = acceptor.local_endpoint(ec);
  if (ec) return {};
  const auto ip = ep.address();
  return (ip.is_v6() ? "[" + ip.to_string() + "]" : ip.to_string()) + ":" +
         std::to_string(ep.port());
}

bool parse_listen(const std::string& listen, std::string& host, std::string& port) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon + 1 == listen.size()) return false;
  host = listen.substr(0, colon);
  port = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  return !host.empty();
}

}  // namespace

const Server::Impl::Route* Server::Impl::find_route(const std::string& path) const {
  if (auto exact = routes.find(path); exact != routes.end()) return &exact->second;
  const Route* best = nullptr;
  std::size_t best_size = 0;
  for (const auto& [prefix, route] : prefix_routes) {
    if (path.size() > prefix.size() && path.compare(0, prefix.size(), prefix) == 0 &&
        prefix.size() > best_size) {
      best = &route;
      best_size = prefix.size();
    }
  }
  return best;
}

Server::Impl::Screened Server::Impl::screen(
    const bhttp::request<bhttp::string_body>& req) const {
  const std::string target(req.target());
  const std::string path = target.substr(0, target.find('?'));
  Screened out;
  out.route = find_route(path);
  if (!out.route) {
    out.answer = Answer{{404, "application/json", error_body("no route for " + path)}, {}};
    return out;
  }
  if (!accepts(out.route->methods, req.method())) {
    const std::string allow = allowed(out.route->methods);
    out.answer = Answer{{405, "application/json", error_body("only " + allow)}, allow};
    return out;
  }
  if (!out.route->gate) return out;
  try {
    if (auto refusal = out.route->gate(request_of(req))) out.answer = Answer{std::move(*refusal), {}};
  } catch (const std::exception&) {
    out.answer = Answer{{500, "application/json", error_body("internal error")}, {}};
  }
  return out;
}

Response Server::Impl::run_handler(const Route& route,
                                   const bhttp::request<bhttp::string_body>& req) const {
  try {
    Request request = request_of(req);
    request.body = req.body();
    return route.handler(request);
  } catch (const std::exception&) {
    return {500, "application/json", error_body("internal error")};
  }
}

// The answer to a failed read, or none when the session just ends (the peer
// left, a stop, a timeout).
std::optional<Server::Impl::Answer> Server::Impl::read_failure(const boost::system::error_code& ec) {
  if (ec == bhttp::error::end_of_stream || ec == asio::error::operation_aborted) return std::nullopt;
  if (ec == beast::error::timeout) {
    ++timeouts;
    return std::nullopt;
  }
  ++bad;
  if (ec == bhttp::error::header_limit || ec == bhttp::error::body_limit)
    return Answer{{413, "application/json", error_body("request too large")}, {}};
  if (ec == bhttp::error::buffer_overflow)
    return Answer{{413, "application/json",
                   error_body(fmt::format("request too large: a chunk header or trailer exceeds "
                                          "the {} byte limit",
                                          buffer_limit()))},
                  {}};
  return Answer{{400, "application/json", error_body("malformed request")}, {}};
}

bhttp::response<bhttp::string_body> Server::Impl::response_of(Answer answer) {
  bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(answer.response.status), 11};
  res.set(bhttp::field::server, "serviceradar");
  res.set(bhttp::field::content_type, answer.response.content_type);
  if (answer.response.status == 405) res.set(bhttp::field::allow, answer.allow);
  res.keep_alive(answer.keep_alive);
  res.body() = std::move(answer.response.body);
  res.prepare_payload();
  if (answer.head) res.body().clear();  // Content-Length still says what GET would send
  return res;
}

asio::awaitable<void> Server::Impl::session(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  // Capped: reads past it fail with buffer_overflow instead of growing it.
  beast::flat_buffer buffer(buffer_limit());
  for (bool first = true;; first = false) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
    // The body's limit applies once the gate has let the request through
    // (Beast would refuse a large Content-Length while reading the header).
    parser.body_limit(boost::none);
    // One deadline for the header and the body together.
    stream.expires_after(first ? options.read_timeout : options.idle_timeout);
    auto [ec, n] = co_await bhttp::async_read_header(stream, buffer, parser, as_tuple);
    std::optional<Answer> answer;
    const Route* route = nullptr;
    if (!ec) {
      auto screened = screen(parser.get());
      route = screened.route;
      answer = std::move(screened.answer);
      // A body left unread cannot be skipped safely: the connection ends.
      if (answer) answer->keep_alive = parser.is_done() && parser.get().keep_alive();
    }
    if (!ec && !answer && !parser.is_done()) {
      const auto length = parser.content_length();
      if (length && *length > options.max_body_bytes) {
        ec = bhttp::error::body_limit;  // refused before a byte of it is read
      } else {
        parser.body_limit(options.max_body_bytes);
        std::tie(ec, n) = co_await bhttp::async_read(stream, buffer, parser, as_tuple);
      }
    }
    if (ec) {
      answer = read_failure(ec);
      if (!answer) break;
    } else {
      ++requests;
      const auto& req = parser.get();
      if (!answer) answer = Answer{run_handler(*route, req), {}, req.keep_alive()};
      answer->head = req.method() == bhttp::verb::head;
    }
    auto res = response_of(std::move(*answer));
    stream.expires_after(options.write_timeout);
    auto [wec, wn] = co_await bhttp::async_write(stream, res, as_tuple);
    if (wec == beast::error::timeout) ++timeouts;
    if (wec || !res.keep_alive()) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

void Server::Impl::spawn_session(tcp::socket socket) {
  auto signal = std::make_shared<asio::cancellation_signal>();
  auto session_strand = asio::make_strand(executor);
  std::uint64_t id;
  {
    std::lock_guard lock(mu);
    id = next_id++;
    sessions.emplace(id, Session{signal, session_strand});
  }
  asio::co_spawn(session_strand, session(std::move(socket)),
                 asio::bind_cancellation_slot(
                     signal->slot(),
                     [self = shared_from_this(), id, signal, session_strand](std::exception_ptr) {
                       self->session_ended(id);  // drops the map's reference to the signal
                       release_after_turn(session_strand, signal);
                     }));
}

// On the session's strand.
void Server::Impl::cancel_session(std::uint64_t id) {
  std::shared_ptr<asio::cancellation_signal> signal;
  {
    std::lock_guard lock(mu);
    if (auto it = sessions.find(id); it != sessions.end()) signal = it->second.signal;
  }
  if (signal) signal->emit(asio::cancellation_type::terminal);
}

// On the session's strand, as the coroutine's completion.
void Server::Impl::session_ended(std::uint64_t id) {
  std::function<void()> done;
  {
    std::lock_guard lock(mu);
    sessions.erase(id);
    if (stopping && sessions.empty()) done = std::move(on_stopped);
  }
  if (done) asio::post(executor, std::move(done));
}

// Out of descriptors or memory: the pending connection stays queued and an
// immediate retry would fail the same way, so wait (50 ms doubling to 1 s).
// Logged once per episode. False when the server stopped meanwhile.
asio::awaitable<bool> Server::Impl::back_off(const boost::system::error_code& ec) {
  ++accept_backoffs;
  if (episode_failures++ == 0) {
    backoff.reset();
    sr::log::warn("http", fmt::format("accept on {} failed: {}; retrying every {} ms up to {} ms "
                                      "until it succeeds (logged once)",
                                      address_of(acceptor), ec.message(), kFirstBackoff.count(),
                                      kMaxBackoff.count()));
  }
  backoff_timer.expires_after(backoff.next());
  auto [tec] = co_await backoff_timer.async_wait(as_tuple);
  co_return !tec && acceptor.is_open();
}

void Server::Impl::accepting_again() {
  if (episode_failures == 0) return;
  sr::log::info("http", fmt::format("accepting on {} again after {} failed accept(s)",
                                    address_of(acceptor), episode_failures));
  episode_failures = 0;
}

asio::awaitable<void> Server::Impl::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(as_tuple);
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (out_of_resources(ec)) {
      if (!co_await back_off(ec)) co_return;
      continue;
    }
    if (ec) continue;  // e.g. the peer reset before accept: keep serving
    accepting_again();
    bool full;
    {
      std::lock_guard lock(mu);
      full = sessions.size() >= options.max_connections;
    }
    if (full) {
      ++refused;
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    ++accepted;
    spawn_session(std::move(socket));
  }
}

Server::Server(asio::any_io_executor ex, ServerOptions options)
    : impl_(std::make_shared<Impl>(std::move(ex), std::move(options))) {}

Server::~Server() {
  // The owner normally stops and waits first; posting after its io_context
  // has stopped running would leave the acceptor to die with the context.
  if (!impl_->stop_requested.exchange(true)) stop([] {});
}

void Server::route(std::string path, Handler handler, Methods methods, Gate gate) {
  impl_->routes[std::move(path)] = Impl::Route{std::move(handler), methods, std::move(gate)};
}

void Server::route_prefix(std::string prefix, Handler handler, Methods methods, Gate gate) {
  impl_->prefix_routes[std::move(prefix)] =
      Impl::Route{std::move(handler), methods, std::move(gate)};
}

std::string Server::start() {
  const std::string& listen = impl_->options.listen;
  std::string host, port;
  if (!parse_listen(listen, host, port)) return "listen address '" + listen + "' is not host:port";
  boost::system::error_code ec;
  tcp::resolver resolver(impl_->executor);
  auto endpoints = resolver.resolve(host, port, tcp::resolver::numeric_host, ec);
  if (ec || endpoints.empty())
    return "listen address '" + listen + "': " + (ec ? ec.message() : "no address");
  const tcp::endpoint endpoint = *endpoints.begin();
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    boost::system::error_code ignored;
    acceptor.close(ignored);
    return "cannot listen on " + listen + ": " + ec.message();
  }
  asio::co_spawn(impl_->strand, impl_->accept_loop(), [self = impl_](std::exception_ptr) {});
  return {};
}

std::uint16_t Server::port() const {
  boost::system::error_code ec;
  auto ep = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

std::string Server::address() const { return address_of(impl_->acceptor); }

void Server::stop(std::function<void()> done) {
  impl_->stop_requested = true;
  asio::post(impl_->strand, [self = impl_, done = std::move(done)]() mutable {
    boost::system::error_code ignored;
    self->acceptor.close(ignored);
    self->backoff_timer.cancel();
    std::vector<std::pair<std::uint64_t, asio::strand<asio::any_io_executor>>> live;
    bool idle;
    {
      std::lock_guard lock(self->mu);
      if (self->stopping) {  // a second stop: just report when idle
        idle = self->sessions.empty();
      } else {
        self->stopping = true;
        idle = self->sessions.empty();
      }
      if (!idle) self->on_stopped = std::move(done);
      for (auto& [id, session] : self->sessions) live.emplace_back(id, session.strand);
    }
    for (auto& [id, strand] : live)
      asio::post(strand, [self, id = id] { self->cancel_session(id); });
    if (idle && done) done();
  });
}

Server::Stats Server::stats() const {
  return {impl_->requests, impl_->accepted, impl_->refused, impl_->bad, impl_->timeouts,
          impl_->accept_backoffs};
}

std::string metrics_text(const Server::Stats& stats, const std::string& prefix) {
  base::prometheus::Writer out;
  const auto counter = [&](const char* name, const char* help, std::uint64_t value) {
    out.single(fmt::format("{}_http_{}", prefix, name), base::prometheus::Type::counter, help, value);
  };
  counter("requests_total", "HTTP requests answered by a route.", stats.requests);
  counter("connections_accepted_total", "HTTP connections accepted.", stats.connections_accepted);
  counter("connections_refused_total", "HTTP connections closed at once: over the connection cap.",
          stats.connections_refused);
  counter("bad_requests_total", "HTTP requests refused as malformed or too large.", stats.bad_requests);
  counter("timeouts_total", "HTTP connections ended by a read or write timeout.", stats.timeouts);
  counter("accept_backoffs_total",
          "accept() failures for want of descriptors or memory, each followed by a backoff.",
          stats.accept_backoffs);
  return out.take();
}

}  // namespace sr::net::http
