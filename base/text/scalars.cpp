#include "base/text/scalars.hpp"

#include <cctype>
#include <charconv>
#include <string>

namespace sr::base {

namespace {

std::optional<bool> lenient_bool(std::string_view t) {
  if (t == "true" || t == "TRUE" || t == "True" || t == "1" || t == "yes") return true;
  if (t == "false" || t == "FALSE" || t == "False" || t == "0" || t == "no" || t.empty()) return false;
  return std::nullopt;
}

std::optional<bool> strict_bool(std::string_view text) {
  std::string t(text);
  for (auto& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (t == "true" || t == "1") return true;
  if (t == "false" || t == "0") return false;
  return std::nullopt;
}

template <class T>
std::optional<T> whole_number(std::string_view t) {
  T n = 0;
  const auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
  if (ec != std::errc() || p != t.data() + t.size() || t.empty()) return std::nullopt;
  return n;
}

}  // namespace

std::optional<bool> parse_bool_text(std::string_view text, BoolSpelling spelling) {
  return spelling == BoolSpelling::strict ? strict_bool(text) : lenient_bool(text);
}

std::optional<std::int64_t> parse_int_text(std::string_view text) { return whole_number<std::int64_t>(text); }

std::optional<std::uint64_t> parse_uint_text(std::string_view text) { return whole_number<std::uint64_t>(text); }

}  // namespace sr::base
