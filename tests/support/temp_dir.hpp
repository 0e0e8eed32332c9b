// A fresh directory under the system temp dir, removed with its contents
// when the test is done. Names are unique per process and instance.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace sr::test {

struct TempDir {
  explicit TempDir(std::string_view prefix = "sr-test")
      : path(std::filesystem::temp_directory_path() /
             (std::string(prefix) + "-" + std::to_string(::getpid()) + "-" + std::to_string(next()))) {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path path;

 private:
  static int next() {
    static std::atomic<int> n{0};
    return n++;
  }
};

}  // namespace sr::test
