#include "net/http/server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <map>
#include <mutex>

namespace sr::net::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using asio::use_awaitable;
constexpr auto as_tuple = asio::as_tuple(use_awaitable);

struct Server::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::any_io_executor ex, ServerOptions o)
      : executor(std::move(ex)), strand(asio::make_strand(executor)), options(std::move(o)),
        acceptor(strand) {}

  asio::any_io_executor executor;
  asio::strand<asio::any_io_executor> strand;  // acceptor and the session table
  ServerOptions options;
  tcp::acceptor acceptor;
  struct Route {
    Handler handler;
    Methods methods;
  };
  std::map<std::string, Route> routes;
  std::map<std::string, Route> prefix_routes;
  const Route* find_route(const std::string& path) const;
  std::atomic<std::uint64_t> requests{0}, accepted{0}, refused{0}, bad{0}, timeouts{0};

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
  // `allow` is set when the answer is 405 (the route's methods).
  Response respond(const bhttp::request<bhttp::string_body>& req, std::string& allow);
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

Response Server::Impl::respond(const bhttp::request<bhttp::string_body>& req,
                               std::string& allow) {
  const std::string target(req.target());
  const std::string path = target.substr(0, target.find('?'));
  const Route* route = find_route(path);
  if (!route) return {404, "application/json", error_body("no route for " + path)};
  if (!accepts(route->methods, req.method())) {
    allow = allowed(route->methods);
    return {405, "application/json", error_body("only " + allow)};
  }
  try {
    Request request{std::string(req.method_string()), target, req.body(), {}};
    if (auto auth = req.find(bhttp::field::authorization); auth != req.end())
      request.authorization = std::string(auth->value());
    return route->handler(request);
  } catch (const std::exception&) {
    return {500, "application/json", error_body("internal error")};
  }
}

asio::awaitable<void> Server::Impl::session(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (bool first = true;; first = false) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
    parser.body_limit(options.max_body_bytes);
    stream.expires_after(first ? options.read_timeout : options.idle_timeout);
    auto [ec, n] = co_await bhttp::async_read(stream, buffer, parser, as_tuple);
    if (ec == bhttp::error::end_of_stream || ec == asio::error::operation_aborted) break;
    if (ec == beast::error::timeout) {
      ++timeouts;
      break;
    }
    Response out;
    std::string allow;
    bool keep_alive = false;
    bool head = false;
    if (ec == bhttp::error::header_limit || ec == bhttp::error::body_limit) {
      ++bad;
      out = {413, "application/json", error_body("request too large")};
    } else if (ec) {
      ++bad;
      out = {400, "application/json", error_body("malformed request")};
    } else {
      ++requests;
      const auto& req = parser.get();
      out = respond(req, allow);
      keep_alive = req.keep_alive();
      head = req.method() == bhttp::verb::head;
    }
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(out.status), 11};
    res.set(bhttp::field::server, "serviceradar");
    res.set(bhttp::field::content_type, out.content_type);
    if (out.status == 405) res.set(bhttp::field::allow, allow);
    res.keep_alive(keep_alive);
    res.body() = std::move(out.body);
    res.prepare_payload();
    if (head) res.body().clear();  // Content-Length still says what GET would send
    stream.expires_after(options.write_timeout);
    auto [wec, wn] = co_await bhttp::async_write(stream, res, as_tuple);
    if (wec == beast::error::timeout) ++timeouts;
    if (wec || !keep_alive) break;
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
                     signal->slot(), [self = shared_from_this(), id](std::exception_ptr) {
                       self->session_ended(id);
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

asio::awaitable<void> Server::Impl::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(as_tuple);
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) continue;  // e.g. the peer reset before accept: keep serving
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

void Server::route(std::string path, Handler handler, Methods methods) {
  impl_->routes[std::move(path)] = Impl::Route{std::move(handler), methods};
}

void Server::route_prefix(std::string prefix, Handler handler, Methods methods) {
  impl_->prefix_routes[std::move(prefix)] = Impl::Route{std::move(handler), methods};
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

std::string Server::address() const {
  boost::system::error_code ec;
  auto ep = impl_->acceptor.local_endpoint(ec);
  if (ec) return {};
  const auto ip = ep.address();
  return (ip.is_v6() ? "[" + ip.to_string() + "]" : ip.to_string()) + ":" +
         std::to_string(ep.port());
}

void Server::stop(std::function<void()> done) {
  impl_->stop_requested = true;
  asio::post(impl_->strand, [self = impl_, done = std::move(done)]() mutable {
    boost::system::error_code ignored;
    self->acceptor.close(ignored);
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
  return {impl_->requests, impl_->accepted, impl_->refused, impl_->bad, impl_->timeouts};
}

}  // namespace sr::net::http
