#include "base/text/date_time.hpp"

#include <array>
#include <cctype>
#include <charconv>

namespace sr::base {

namespace {

constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Consumes exactly `digits` decimal digits (any count when 0).
bool number(std::string_view& s, int digits, int& out) {
  std::size_t n = 0;
  while (n < s.size() && std::isdigit(static_cast<unsigned char>(s[n]))) ++n;
  if (n == 0 || (digits && n != static_cast<std::size_t>(digits)) || n > 9) return false;
  std::from_chars(s.data(), s.data() + n, out);
  s.remove_prefix(n);
  return true;
}

bool literal(std::string_view& s, std::string_view lit) {
  if (!s.starts_with(lit)) return false;
  s.remove_prefix(lit.size());
  return true;
}

bool month_name(std::string_view& s, int& out) {
  for (int i = 0; i < 12; ++i) {
    if (s.starts_with(kMonths[i])) {
      out = i + 1;
      s.remove_prefix(3);
      return true;
    }
  }
  return false;
}

bool clock_time(std::string_view& s, int& h, int& m, int& sec) {
  return number(s, 2, h) && literal(s, ":") && number(s, 2, m) && literal(s, ":") &&
         number(s, 2, sec) && h < 24 && m < 60 && sec < 61;
}

bool skip_weekday(std::string_view& s, std::string_view then) {
  const auto at = s.find(then);
  if (at == std::string_view::npos || at < 3 || at > 9) return false;
  for (std::size_t i = 0; i < at; ++i)
    if (!std::isalpha(static_cast<unsigned char>(s[i]))) return false;
  s.remove_prefix(at + then.size());
  return true;
}

struct Civil {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
};

std::optional<std::chrono::system_clock::time_point> to_time_point(const Civil& c) {
  namespace ch = std::chrono;
  // system_clock counts nanoseconds in 64 bits: it spans 1677..2262. Dates
  // outside 1900..2200 (found by fuzzing: years 9026, then 1026, overflowed)
  // are not dates a server means.
  if (c.year < 1900 || c.year > 2200) return std::nullopt;
  const ch::year_month_day ymd{ch::year{c.year}, ch::month{static_cast<unsigned>(c.month)},
                               ch::day{static_cast<unsigned>(c.day)}};
  if (!ymd.ok()) return std::nullopt;
  return ch::sys_days{ymd} + ch::hours{c.hour} + ch::minutes{c.minute} + ch::seconds{c.second};
}

// Sun, 06 Nov 1994 08:49:37 GMT
bool imf_fixdate(std::string_view s, Civil& c) {
  return skip_weekday(s, ", ") && number(s, 2, c.day) && literal(s, " ") && month_name(s, c.month) &&
         literal(s, " ") && number(s, 4, c.year) && literal(s, " ") &&
         clock_time(s, c.hour, c.minute, c.second) && literal(s, " GMT") && s.empty();
}

// Sunday, 06-Nov-94 08:49:37 GMT (two-digit years: RFC 9110 says read as the
// nearest century; 70..99 -> 19xx is what every server meant).
bool rfc850(std::string_view s, Civil& c) {
  if (!(skip_weekday(s, ", ") && number(s, 2, c.day) && literal(s, "-") && month_name(s, c.month) &&
        literal(s, "-") && number(s, 2, c.year) && literal(s, " ") &&
        clock_time(s, c.hour, c.minute, c.second) && literal(s, " GMT") && s.empty()))
    return false;
  c.year += c.year < 70 ? 2000 : 1900;
  return true;
}

// Sun Nov  6 08:49:37 1994
bool asctime_date(std::string_view s, Civil& c) {
  if (!(skip_weekday(s, " ") && month_name(s, c.month) && literal(s, " "))) return false;
  if (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  return number(s, 0, c.day) && c.day <= 31 && literal(s, " ") &&
         clock_time(s, c.hour, c.minute, c.second) && literal(s, " ") && number(s, 4, c.year) &&
         s.empty();
}

// RFC 3339's zone: Z, +HH:MM or -HH:MM; none at all is UTC too.
bool zone_offset(std::string_view s, std::chrono::minutes& offset) {
  if (s.empty() || s == "Z") return true;
  if (s.size() != 6 || (s[0] != '+' && s[0] != '-')) return false;
  const bool east = s[0] == '+';
  s.remove_prefix(1);
  int h = 0, m = 0;
  if (!(number(s, 2, h) && literal(s, ":") && number(s, 2, m) && h < 24 && m < 60)) return false;
  offset = std::chrono::hours(h) + std::chrono::minutes(m);
  if (!east) offset = -offset;
  return true;
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text) {
  text = trim(text);
  Civil c;
  if (imf_fixdate(text, c) || rfc850(text, (c = {}, c)) || asctime_date(text, (c = {}, c)))
    return to_time_point(c);
  return std::nullopt;
}

std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view s) {
  Civil c;
  if (!(number(s, 4, c.year) && literal(s, "-") && number(s, 2, c.month) && literal(s, "-") &&
        number(s, 2, c.day) && literal(s, "T") && clock_time(s, c.hour, c.minute, c.second)))
    return std::nullopt;
  if (literal(s, "."))
    while (!s.empty() && std::isdigit(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  std::chrono::minutes offset{0};
  if (!zone_offset(s, offset)) return std::nullopt;
  auto when = to_time_point(c);
  if (!when) return std::nullopt;
  return *when - offset;
}

}  // namespace sr::base
