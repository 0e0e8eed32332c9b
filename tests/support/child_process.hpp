// A real process under test: started with posix_spawn, its stdout read line
// by line with a bound (the ready line tells the ports it bound), its stderr
// kept in a file the test can search, stopped with SIGTERM and reaped with a
// bound. Never a sleep: every wait is on an event with a deadline.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace sr::test {

class ChildProcess {
 public:
  ChildProcess(std::string program, std::vector<std::string> args,
               std::vector<std::string> extra_env = {});
  ~ChildProcess();  // SIGKILL if still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  int pid() const noexcept { return pid_; }
  // Next stdout line containing `needle`; nullopt on EOF or after `bound`.
  std::optional<std::string> wait_for_line(const std::string& needle,
                                           std::chrono::seconds bound = std::chrono::seconds(60));
  // Waits until stderr (the log) contains `needle`; false after `bound`.
  // Every bound here is stretched by SR_TEST_SLOWDOWN (sanitizer builds).
  bool wait_for_log(const std::string& needle,
                    std::chrono::seconds bound = std::chrono::seconds(60)) const;
  // Waits until stderr contains `needle` at least `count` times.
  bool wait_for_log(const std::string& needle, int count,
                    std::chrono::seconds bound = std::chrono::seconds(60)) const;
  std::string log_text() const;
  // SIGTERM, then the exit status (or -signal); nullopt if it did not end in `bound`.
  std::optional<int> terminate(std::chrono::seconds bound = std::chrono::seconds(60));
  // The exit status once the process ends by itself; nullopt after `bound`.
  std::optional<int> wait_exit(std::chrono::seconds bound = std::chrono::seconds(60));
  // Peak resident set size (VmHWM) in KiB, from /proc.
  long peak_rss_kib() const;
  // Resident set size now (VmRSS) in KiB, from /proc; -1 if unreadable.
  long rss_kib() const;
  // The lowest descriptor number the process has free (from /proc/PID/fd).
  int lowest_free_fd() const;
  // Sets its RLIMIT_NOFILE soft limit (prlimit): descriptors numbered at or
  // above it cannot be made. False if refused.
  bool set_fd_limit(unsigned long soft);

 private:
  std::optional<int> end(bool send_sigterm, std::chrono::seconds bound);

  int pid_ = -1;
  int stdout_fd_ = -1;
  std::string pending_;  // stdout read but not yet returned
  std::filesystem::path log_path_;
};

// A value from "key=value" on a line of words.
std::string field_of(const std::string& line, const std::string& key);

}  // namespace sr::test
