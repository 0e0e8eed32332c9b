// Durations as the gateway's config_json writes them: Go duration strings
// ("90s", "5m", "1h30m", "1.5h", "250ms") or a JSON number of nanoseconds.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace sr::base {

struct DurationParse {
  std::optional<std::chrono::nanoseconds> value;
  std::string error;  // set when !value: says what is wrong with the text
};

// Negative durations and overflow are errors; "0" is zero.
DurationParse parse_duration(std::string_view text);

}  // namespace sr::base
