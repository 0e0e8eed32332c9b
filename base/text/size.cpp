#include "base/text/size.hpp"

#include <cctype>
#include <charconv>
#include <limits>
#include <string>

namespace sr::base {

namespace {

// Bytes per unit; 0 when the unit is unknown.
std::uint64_t unit_bytes(std::string_view unit) {
  std::string u(unit);
  for (auto& c : u) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (u.empty() || u == "b") return 1;
  if (u == "k" || u == "kb" || u == "kib") return 1ull << 10;
  if (u == "m" || u == "mb" || u == "mib") return 1ull << 20;
  if (u == "g" || u == "gb" || u == "gib") return 1ull << 30;
  return 0;
}

}  // namespace

std::optional<std::uint64_t> parse_size_text(std::string_view text) {
  std::uint64_t value = 0;
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || p == text.data()) return std::nullopt;  // also "-1", "MB", " 3"
  const std::uint64_t mult = unit_bytes(text.substr(static_cast<std::size_t>(p - text.data())));
  if (mult == 0 || value > std::numeric_limits<std::uint64_t>::max() / mult) return std::nullopt;
  return value * mult;
}

}  // namespace sr::base
