#include "net/read_file.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace sr::net {

std::optional<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return text.str();
}

std::string read_file_or_throw(const std::filesystem::path& path) {
  auto text = read_file(path);
  if (!text) throw std::runtime_error("cannot read " + path.string());
  return std::move(*text);
}

}  // namespace sr::net
