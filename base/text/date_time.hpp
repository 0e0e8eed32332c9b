// Dates as peers write them (HTTP-dates in Retry-After, RFC 3339 in an
// Armis token's expiration_utc), read strictly into time points that cannot
// overflow the clock: years outside 1900..2200 are not dates a server means.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace sr::base {

// An HTTP-date (RFC 9110 5.6.7: IMF fixdate, RFC 850 or asctime form), or none.
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text);

// YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM), no zone read as UTC
// ("2026-11-25T16:00:00.123+00:00", "...Z"), or none.
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text);

}  // namespace sr::base
