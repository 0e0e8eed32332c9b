#include "tools/agent-gateway/config/size_suffix.hpp"

#include <cctype>
#include <charconv>
#include <limits>
#include <string>

namespace sr::gateway {

namespace {

std::optional<std::uint64_t> multiplier(std::string_view suffix) {
  std::string s;
  for (char c : suffix) s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (s.empty() || s == "b") return 1;
  if (s == "k" || s == "kb" || s == "kib") return 1ull << 10;
  if (s == "m" || s == "mb" || s == "mib") return 1ull << 20;
  if (s == "g" || s == "gb" || s == "gib") return 1ull << 30;
  return std::nullopt;
}

}  // namespace

std::optional<std::uint64_t> parse_byte_size(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  std::uint64_t number = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc() || end == text.data()) return std::nullopt;  // also rejects "-1"
  std::string_view suffix(end, static_cast<std::size_t>(text.data() + text.size() - end));
  while (!suffix.empty() && suffix.front() == ' ') suffix.remove_prefix(1);
  const auto unit = multiplier(suffix);
  if (!unit || number > std::numeric_limits<std::uint64_t>::max() / *unit) return std::nullopt;
  return number * *unit;
}

}  // namespace sr::gateway
