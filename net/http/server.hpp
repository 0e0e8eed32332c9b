// A tiny HTTP/1.1 server for health, metrics, status and small admin
// endpoints: exact-path and prefix routes (GET/HEAD by default, writes where a route asks),
// keep-alive, per-step timeouts, bounded requests (header, body, and the
// unparsed bytes of a connection: chunk headers and trailers too) and
// connections, a gate per route that refuses before a body is read, an
// accept loop that backs off while descriptors or memory run out, and a stop
// that ends every session before it completes.
// Beast stays inside server.cpp; this header is light on purpose.
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace sr::net::http {

struct Request {
  std::string method, target, body;  // target includes the query
  std::string authorization;         // the Authorization header, "" if absent
};

struct Response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
};

// Runs on the server's executor: keep it quick and non-blocking.
using Handler = std::function<Response(const Request&)>;
// Runs once a request's header has arrived, before its body is read (the
// Request's body is empty here): a refusal is answered at once and, when a
// body was announced, the connection is closed with it unread. Used for
// authorisation, so an unauthenticated peer never gets a body parsed.
using Gate = std::function<std::optional<Response>(const Request&)>;

struct ServerOptions {
  std::string listen = "127.0.0.1:0";  // host:port; [v6]:port; port 0 = chosen by the OS
  std::chrono::seconds read_timeout{10}, write_timeout{10}, idle_timeout{30};
  std::size_t max_header_bytes = 8 * 1024, max_body_bytes = 64 * 1024;
  std::size_t max_connections = 64;  // beyond: accepted and closed at once, counted
  // Unparsed bytes one connection may hold: the header, one chunk header with
  // its extensions, the trailer (Beast bounds none of the last two). Beyond
  // it: 413, counted as a bad request, connection closed. Raised to
  // 2 x max_header_bytes when below it, so the header limit answers first.
  std::size_t max_buffer_bytes = 16 * 1024;
};

class Server {
 public:
  struct Stats {
    std::uint64_t requests = 0, connections_accepted = 0, connections_refused = 0,
                  bad_requests = 0, timeouts = 0,
                  // accepts that failed for want of descriptors or memory
                  // (EMFILE, ENFILE, ENOBUFS, ENOMEM); each is followed by a
                  // wait, 50 ms doubling to 1 s, reset by the next success
                  accept_backoffs = 0;
  };

  Server(boost::asio::any_io_executor ex, ServerOptions options);
  // Call stop() and wait for it while the executor still runs; the
  // destructor only stops a server nobody stopped (best effort).
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Before start(). A read route answers GET and HEAD; a write route POST
  // only; a resource route GET, HEAD, POST, PUT, PATCH and DELETE (the
  // handler tells them apart and answers 405 itself).
  enum class Methods { read, write, resource };
  void route(std::string path, Handler handler, Methods methods = Methods::read, Gate gate = {});
  // Every path under `prefix` (which ends in '/') not matched exactly;
  // the longest prefix wins.
  void route_prefix(std::string prefix, Handler handler, Methods methods = Methods::read,
                    Gate gate = {});
  // Binds and starts accepting. "" on success, else the error naming the address.
  std::string start();
  std::uint16_t port() const;
  std::string address() const;  // "host:port" as bound
  // Stops accepting, cancels every session; `done` runs (on the executor)
  // once the last session has ended.
  void stop(std::function<void()> done);
  Stats stats() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// The stats as Prometheus counters named `<prefix>_http_...` (e.g. prefix
// "serviceradar_agent"), for a /metrics page.
std::string metrics_text(const Server::Stats& stats, const std::string& prefix);

}  // namespace sr::net::http
