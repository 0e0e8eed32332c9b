#include "base/read_file.hpp"

#include <fmt/core.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace sr::base {

Expected<std::string> read_small_file(const std::filesystem::path& path, std::uintmax_t max_bytes) {
  using Result = Expected<std::string>;
  std::ifstream in(path, std::ios::binary);
  if (!in) return Result::failure(fmt::format("{}: cannot open ({})", path.string(), std::strerror(errno)));
  // Read up to one byte past the cap: sizes from stat lie for /proc, pipes and devices.
  std::string text;
  char buf[16384];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<std::size_t>(in.gcount()));
    if (text.size() > max_bytes)
      return Result::failure(fmt::format("{}: larger than the {} KiB a configuration file may be",
                                         path.string(), max_bytes >> 10));
  }
  if (in.bad()) return Result::failure(path.string() + ": read error");
  return text;
}

std::optional<std::string> read_file(const std::filesystem::path& path) {
  auto text = read_small_file(path);
  if (!text) return std::nullopt;
  return std::move(*text);
}

std::string read_file_or_throw(const std::filesystem::path& path) {
  auto text = read_small_file(path);
  if (!text) throw std::runtime_error(text.error());
  return std::move(*text);
}

}  // namespace sr::base
