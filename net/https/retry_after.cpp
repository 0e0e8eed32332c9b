#include "net/https/retry_after.hpp"

#include "base/text/date_time.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>

namespace sr::net::https {

namespace {

constexpr std::int64_t kMaxDelaySeconds = std::int64_t{1} << 40;  // far beyond any sane wait

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now) {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  if (std::isdigit(static_cast<unsigned char>(value.front()))) {
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec == std::errc::result_out_of_range) return std::chrono::seconds(kMaxDelaySeconds);
    if (ec != std::errc{} || end != value.data() + value.size()) return std::nullopt;
    return std::chrono::seconds(std::min(n, kMaxDelaySeconds));
  }
  auto when = base::parse_http_date(value);
  if (!when) return std::nullopt;
  if (*when <= now) return std::chrono::seconds(0);
  return std::chrono::ceil<std::chrono::seconds>(*when - now);
}

}  // namespace sr::net::https
