// promtool check metrics on a page, when Debian's prometheus package is
// installed; otherwise true, with a Catch2 warning that only the escapes were
// checked.
#pragma once

#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace sr::test {

inline bool promtool_accepts(const std::string& page) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
    WARN("promtool not installed: the exposition was checked by its escapes only");
    return true;
  }
  const std::string path = "/tmp/sr-metrics-text-" + std::to_string(::getpid()) + ".prom";
  std::ofstream(path) << page;
  const int rc = std::system(("promtool check metrics < " + path + " >/dev/null 2>&1").c_str());
  std::remove(path.c_str());
  return rc == 0;
}

}  // namespace sr::test
