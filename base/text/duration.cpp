#include "base/text/duration.hpp"

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <limits>

namespace sr::base {
namespace {

struct Unit {
  std::string_view name;
  std::int64_t ns;
};

// Longest names first so "ms" is not read as "m".
constexpr std::array<Unit, 8> kUnits{{{"ns", 1},
                                      {"us", 1'000},
                                      {"\xC2\xB5s", 1'000},  // µs
                                      {"ms", 1'000'000},
                                      {"s", 1'000'000'000},
                                      {"m", 60'000'000'000},
                                      {"h", 3'600'000'000'000},
                                      {"\xCE\xBCs", 1'000}}};  // μs (Greek mu)

bool is_digit(char c) { return c >= '0' && c <= '9'; }

DurationParse fail(std::string_view text, std::string_view why) {
  return {std::nullopt, fmt::format("invalid duration \"{}\": {}", text, why)};
}

}  // namespace

DurationParse parse_duration(std::string_view text) {
  if (text.empty()) return fail(text, "empty");
  if (text == "0") return {std::chrono::nanoseconds{0}, {}};
  if (text.front() == '-') return fail(text, "negative durations are not allowed");
  std::string_view rest = text.front() == '+' ? text.substr(1) : text;
  if (rest.empty()) return fail(text, "no number");

  constexpr long double kMax = static_cast<long double>(std::numeric_limits<std::int64_t>::max());
  long double total = 0;
  while (!rest.empty()) {
    std::size_t i = 0;
    long double whole = 0;
    bool digits = false;
    for (; i < rest.size() && is_digit(rest[i]); ++i, digits = true)
      whole = whole * 10 + (rest[i] - '0');
    long double frac = 0, scale = 1;
    if (i < rest.size() && rest[i] == '.') {
      for (++i; i < rest.size() && is_digit(rest[i]); ++i, digits = true) {
        frac = frac * 10 + (rest[i] - '0');
        scale *= 10;
      }
    }
    if (!digits) return fail(text, "expected a number");
    rest.remove_prefix(i);
    const Unit* unit = nullptr;
    for (const auto& u : kUnits) {
      if (rest.substr(0, u.name.size()) == u.name && (!unit || u.name.size() > unit->name.size()))
        unit = &u;
    }
    if (!unit) return fail(text, "missing or unknown unit (use ns, us, ms, s, m or h)");
    rest.remove_prefix(unit->name.size());
    total += (whole + frac / scale) * static_cast<long double>(unit->ns);
    if (total > kMax) return fail(text, "too large");
  }
  return {std::chrono::nanoseconds{static_cast<std::int64_t>(total)}, {}};
}

}  // namespace sr::base
