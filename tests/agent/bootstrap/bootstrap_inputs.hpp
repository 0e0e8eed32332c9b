// What a bootstrap test feeds load_bootstrap: a JSON file that lives as long
// as the test needs it (each a name of its own), an environment from a map,
// no flags.
#pragma once

#include "agent/bootstrap/bootstrap_config.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>

namespace sr::test {

struct File {
  explicit File(const std::string& text) {
    static int next = 0;
    path = std::filesystem::temp_directory_path() /
           ("sr-bootstrap-" + std::to_string(::getpid()) + "-" + std::to_string(++next) + ".json");
    std::ofstream(path) << text;
  }
  ~File() { std::filesystem::remove(path); }
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  std::filesystem::path path;
};

inline agent::Environment env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

inline const std::map<std::string, std::string> kNoFlags;

}  // namespace sr::test
