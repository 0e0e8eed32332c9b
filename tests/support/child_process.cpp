#include "tests/support/child_process.hpp"

#include "tests/support/wait.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <string_view>
#include <stdexcept>

extern char** environ;

namespace sr::test {

namespace {

std::filesystem::path unique_log_path() {
  static std::atomic<int> n{0};
  return std::filesystem::temp_directory_path() /
         ("sr-child-" + std::to_string(::getpid()) + "-" + std::to_string(n++) + ".log");
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

ChildProcess::ChildProcess(std::string program, std::vector<std::string> args,
                           std::vector<std::string> extra_env)
    : log_path_(unique_log_path()) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  const int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (log_fd < 0) throw std::runtime_error("cannot create " + log_path_.string());

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, log_fd, STDERR_FILENO);

  std::vector<std::string> argv{program};
  argv.insert(argv.end(), args.begin(), args.end());
  // extra_env adds to the inherited environment and overrides its names.
  const auto name_of = [](std::string_view entry) { return entry.substr(0, entry.find('=')); };
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    const bool overridden = std::any_of(extra_env.begin(), extra_env.end(),
                                        [&](const std::string& x) { return name_of(x) == name_of(*e); });
    if (!overridden) env.emplace_back(*e);
  }
  env.insert(env.end(), extra_env.begin(), extra_env.end());
  auto c_argv = c_strings(argv);
  auto c_env = c_strings(env);
  const int rc = ::posix_spawn(&pid_, program.c_str(), &actions, nullptr, c_argv.data(),
                               c_env.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  ::close(log_fd);
  if (rc != 0) {
    ::close(out[0]);
    throw std::runtime_error("cannot start " + program + ": " + std::strerror(rc));
  }
  stdout_fd_ = out[0];
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
  std::error_code ec;
  std::filesystem::remove(log_path_, ec);
}

std::optional<std::string> ChildProcess::wait_for_line(const std::string& needle,
                                                       std::chrono::seconds bound) {
  const auto deadline = std::chrono::steady_clock::now() + scaled(bound);
  for (;;) {
    for (auto nl = pending_.find('\n'); nl != std::string::npos; nl = pending_.find('\n')) {
      std::string line = pending_.substr(0, nl);
      pending_.erase(0, nl + 1);
      if (line.find(needle) != std::string::npos) return line;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{stdout_fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return std::nullopt;
    char buf[4096];
    const ssize_t n = ::read(stdout_fd_, buf, sizeof buf);
    if (n <= 0) return std::nullopt;  // EOF: the process ended
    pending_.append(buf, static_cast<std::size_t>(n));
  }
}

std::string ChildProcess::log_text() const {
  std::ifstream in(log_path_);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool ChildProcess::wait_for_log(const std::string& needle, std::chrono::seconds bound) const {
  return wait_for_log(needle, 1, bound);
}

bool ChildProcess::wait_for_log(const std::string& needle, int count,
                                std::chrono::seconds bound) const {
  auto seen = [&] {
    const auto text = log_text();
    int n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
      if (++n >= count) return true;
    return false;
  };
  // The log is a file: check it every 20 ms until the bound (an event
  // source would need inotify for one test helper).
  const auto deadline = std::chrono::steady_clock::now() + scaled(bound);
  while (std::chrono::steady_clock::now() < deadline) {
    if (seen()) return true;
    pollfd none{-1, 0, 0};
    ::poll(&none, 0, 20);
  }
  return seen();
}

std::optional<int> ChildProcess::terminate(std::chrono::seconds bound) {
  return end(true, bound);
}

std::optional<int> ChildProcess::wait_exit(std::chrono::seconds bound) { return end(false, bound); }

std::optional<int> ChildProcess::end(bool send_sigterm, std::chrono::seconds bound) {
  bound = scaled(bound);
  if (pid_ <= 0) return std::nullopt;
  auto reaped = [this](int status) {
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  };
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) return reaped(status);  // ended on its own
  // A pidfd becomes readable when the process ends: an event, not a poll loop.
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
  if (send_sigterm) ::kill(pid_, SIGTERM);
  if (pidfd >= 0) {
    pollfd p{pidfd, POLLIN, 0};
    int ready;
    do {
      ready = ::poll(&p, 1, static_cast<int>(bound.count() * 1000));
    } while (ready < 0 && errno == EINTR);
    ::close(pidfd);
    if (ready == 0) {
      std::fprintf(stderr, "ChildProcess: pid %d did not end within %lds\n", pid_,
                   static_cast<long>(bound.count()));
      return std::nullopt;
    }
  }
  pid_t done;
  do {
    done = ::waitpid(pid_, &status, 0);
  } while (done < 0 && errno == EINTR);
  if (done != pid_) {
    std::fprintf(stderr, "ChildProcess: waitpid(%d) failed: %s\n", pid_, std::strerror(errno));
    return std::nullopt;
  }
  return reaped(status);
}

long ChildProcess::peak_rss_kib() const {
  std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

long ChildProcess::rss_kib() const {
  std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

int ChildProcess::lowest_free_fd() const {
  std::set<int> used;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc/" + std::to_string(pid_) + "/fd", ec))
    used.insert(std::stoi(e.path().filename().string()));
  int fd = 0;
  while (used.count(fd)) ++fd;
  return fd;
}

bool ChildProcess::set_fd_limit(unsigned long soft) {
  rlimit limit{};
  if (::prlimit(pid_, RLIMIT_NOFILE, nullptr, &limit) != 0) return false;
  limit.rlim_cur = soft;
  return ::prlimit(pid_, RLIMIT_NOFILE, &limit, nullptr) == 0;
}

std::string field_of(const std::string& line, const std::string& key) {
  const auto at = line.find(key + "=");
  if (at == std::string::npos) return {};
  const auto start = at + key.size() + 1;
  return line.substr(start, line.find(' ', start) - start);
}

}  // namespace sr::test
