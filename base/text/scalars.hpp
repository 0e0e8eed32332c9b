// Booleans and whole numbers written as text (config values, environment
// knobs, flags). Callers trim or lower-case first if they want to.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace sr::base {

enum class BoolSpelling {
  lenient,  // true/True/TRUE/1/yes, false/False/FALSE/0/no, and "" as false (the sources' config)
  strict,   // true/false/1/0 in any case, nothing else (the bootstrap file)
};

std::optional<bool> parse_bool_text(std::string_view text, BoolSpelling spelling = BoolSpelling::lenient);

// A whole decimal number, optionally negative; nothing before or after it.
std::optional<std::int64_t> parse_int_text(std::string_view text);

// A whole decimal number of 0 or more; nothing before or after it.
std::optional<std::uint64_t> parse_uint_text(std::string_view text);

}  // namespace sr::base
