// A hostile HTTP client for resource-bound tests: it sends a request head,
// then the same bytes again and again (a chunk extension, a trailer or a
// header line that never ends) until the server ends the connection or a cap
// is reached, so a server that keeps reading cannot hang the test. Plain
// POSIX sockets: the e2e tests use it against real processes too.
#pragma once

#include "tests/support/wait.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>

namespace sr::test {

constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;

// VmRSS of a process (the test itself: "self") in KiB, -1 if unreadable.
inline long resident_kib(const std::string& pid = "self") {
  std::ifstream status("/proc/" + pid + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

// A blocking TCP connection to "127.0.0.1:port" (IPv4 loopback only); -1 on failure.
inline int connect_loopback(const std::string& address) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos) return -1;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<std::uint16_t>(std::stoi(address.substr(colon + 1))));
  if (::inet_pton(AF_INET, address.substr(0, colon).c_str(), &sa.sin_addr) != 1) return -1;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

struct StreamOutcome {
  std::uint64_t sent = 0;        // bytes the kernel took, head included
  bool ended_by_server = false;  // closed or reset by the server before the cap
  bool stalled = false;          // a send made no progress for the stall bound
  std::string reply;             // what the server answered before the end, if it arrived
};

namespace detail {

// False when the connection ended (or stalled); `out` says which.
inline bool send_all(int fd, const char* data, std::size_t size, StreamOutcome& out) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) out.stalled = true;
      else out.ended_by_server = true;  // EPIPE, ECONNRESET
      return false;
    }
    out.sent += static_cast<std::uint64_t>(n);
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

inline void collect_reply(int fd, std::string& reply) {
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n <= 0) return;
    reply.append(buf, static_cast<std::size_t>(n));
  }
}

}  // namespace detail

// Connects to `address`, sends `head`, then `fill` repeated in 64 KiB
// blocks until the server ends the connection or `cap` bytes are sent;
// `each_mib` runs after every MiB sent (to sample a process's RSS). A send
// that makes no progress for a minute (stretched for sanitizer builds) ends
// it as stalled.
inline StreamOutcome stream_until_closed(const std::string& address, const std::string& head,
                                         char fill, std::uint64_t cap,
                                         const std::function<void()>& each_mib = {}) {
  StreamOutcome out;
  const int fd = connect_loopback(address);
  if (fd < 0) throw std::runtime_error("cannot connect to " + address);
  timeval stall{static_cast<time_t>(event_timeout().count()), 0};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &stall, sizeof stall);
  const std::string block(64 * 1024, fill);
  std::uint64_t next_sample = kMiB;
  bool open = detail::send_all(fd, head.data(), head.size(), out);
  while (open && out.sent < cap) {
    open = detail::send_all(fd, block.data(), block.size(), out);
    detail::collect_reply(fd, out.reply);
    if (out.sent >= next_sample) {
      next_sample += kMiB;
      if (each_mib) each_mib();
    }
  }
  detail::collect_reply(fd, out.reply);
  ::close(fd);
  return out;
}

// The peak VmRSS growth of process `pid` while a hostile stream runs, in KiB.
struct RssWatch {
  explicit RssWatch(std::string pid_ = "self") : pid(std::move(pid_)), baseline(resident_kib(pid)) {}
  void sample() { peak = std::max(peak, resident_kib(pid)); }
  long growth_kib() const { return std::max(0L, peak - baseline); }
  std::string pid;
  long baseline, peak = 0;
};

}  // namespace sr::test
