// A scripted HTTPS/1.1 server (Beast): each request is answered by a handler
// that says what to send and how to misbehave: delays, slow bodies, resets
// mid-body, gzip, Connection: close, or no answer at all. fake-inventory
// serves its APIs with it; the HTTPS client's tests script faults with it.
// With `plain` it speaks HTTP/1.1 without TLS (same scripting, no certificate).
// Everything runs on one strand of the given executor.
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace sr::fake {

struct ServerRequest {
  std::string method, target, body;
  std::map<std::string, std::string> headers;  // names in lower case
  std::uint64_t connection = 0;                // which connection (1, 2, ...) carried it
  bool tls = true;                             // false on a plain server
  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string{} : it->second;
  }
};

struct Reply {
  unsigned status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::size_t repeat = 1;  // the body is sent this many times over (huge bodies, little memory)
  bool gzip = false;       // compress (repeat must be 1), Content-Encoding: gzip
  bool close = false;      // Connection: close, then close
  bool drop_after = false; // close after this answer without saying so (a stale keep-alive)
  // Faults.
  std::chrono::milliseconds header_delay{0};  // before the status line
  std::chrono::milliseconds piece_pause{0};   // between body pieces
  std::size_t piece = 64 * 1024;              // body bytes per write
  std::size_t reset_after = std::numeric_limits<std::size_t>::max();  // body bytes, then drop TCP
  std::size_t declared_length = std::numeric_limits<std::size_t>::max();  // lie in Content-Length
  bool no_answer = false;  // read the request and never answer
};

using Handler = std::function<Reply(const ServerRequest&)>;

struct HttpsServerOptions {
  std::string listen = "127.0.0.1:0";
  std::string cert_file, key_file;  // PEM; not used when plain
  bool plain = false;               // plain HTTP instead of HTTPS
  // Before every answer's header (on top of Reply::header_delay): a WAN round
  // trip. A timer, so answers in flight wait concurrently.
  std::chrono::milliseconds latency{0};
};

class HttpsServer {
 public:
  HttpsServer(boost::asio::any_io_executor ex, HttpsServerOptions options, Handler handler);
  ~HttpsServer();
  HttpsServer(const HttpsServer&) = delete;
  HttpsServer& operator=(const HttpsServer&) = delete;

  // Loads the certificate (unless plain) and starts listening; "" on success, else why.
  std::string start();
  std::uint16_t port() const;
  // Closes the listener and every connection (answers waiting on a delay
  // end at once); `done` runs once all ended.
  void stop(std::function<void()> done);

  std::uint64_t connections_accepted() const;
  std::uint64_t requests() const;
  // Answers waiting on their header delay (latency) right now.
  std::size_t answers_waiting() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace sr::fake
