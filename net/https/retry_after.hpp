// Retry-After (RFC 9110 10.2.3): delay-seconds or an HTTP-date.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace sr::net::https {

// The wait the header asks for, from `now`; a date in the past is zero. None
// when the value is neither a non-negative integer nor an HTTP-date (IMF
// fixdate, RFC 850 or asctime form).
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now);

}  // namespace sr::net::https
