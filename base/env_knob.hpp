// Tuning knobs read from the environment (SWEEP_RESULTS_MAX_CHUNK_BYTES,
// SYNC_INGESTOR_*...): a whole number or a size, kept within bounds. A bad
// or out-of-range value never stops the program: the warning names the
// variable, what was wrong and the value used instead.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sr::base {

enum class KnobUnit {
  count,  // a whole number: "5000"
  bytes,  // a size as base/text/size.hpp reads it: "3MiB"
};

struct KnobBounds {
  std::uint64_t min = 0;
  std::uint64_t max = std::numeric_limits<std::uint64_t>::max();  // the default: no upper bound
};

// The value of the environment variable; nullopt when unset or empty.
std::optional<std::string> env_text(const char* name);

// Pure: the value of knob `name` written as `text`. Not a number (size):
// `fallback` and the warning NAME="text" is not a number (size): using F.
// Out of bounds: clamped, with NAME=text is below MIN: using MIN (no upper
// bound) or NAME=text is outside MIN..MAX: using V.
std::uint64_t read_knob(std::string_view name, std::string_view text, KnobUnit unit, KnobBounds bounds,
                        std::uint64_t fallback, std::vector<std::string>& warnings);

// read_knob on the environment variable `name`; unset or empty: `fallback`,
// no warning.
std::uint64_t env_knob(const char* name, KnobUnit unit, KnobBounds bounds, std::uint64_t fallback,
                       std::vector<std::string>& warnings);

}  // namespace sr::base
