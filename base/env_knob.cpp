#include "base/env_knob.hpp"

#include "base/text/scalars.hpp"
#include "base/text/size.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

namespace sr::base {

namespace {

bool has_upper_bound(KnobBounds b) { return b.max != std::numeric_limits<std::uint64_t>::max(); }

std::string bounds_warning(std::string_view name, std::string_view text, KnobBounds b, std::uint64_t used) {
  if (has_upper_bound(b)) return fmt::format("{}={} is outside {}..{}: using {}", name, text, b.min, b.max, used);
  return fmt::format("{}={} is below {}: using {}", name, text, b.min, used);
}

}  // namespace

std::optional<std::string> env_text(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return std::nullopt;
  return std::string(v);
}

std::uint64_t read_knob(std::string_view name, std::string_view text, KnobUnit unit, KnobBounds bounds,
                        std::uint64_t fallback, std::vector<std::string>& warnings) {
  const auto n = unit == KnobUnit::bytes ? parse_size_text(text) : parse_uint_text(text);
  if (!n) {
    warnings.push_back(fmt::format("{}=\"{}\" is not a {}: using {}", name, text,
                                   unit == KnobUnit::bytes ? "size" : "number", fallback));
    return fallback;
  }
  const auto used = std::clamp(*n, bounds.min, bounds.max);
  if (used != *n) warnings.push_back(bounds_warning(name, text, bounds, used));
  return used;
}

std::uint64_t env_knob(const char* name, KnobUnit unit, KnobBounds bounds, std::uint64_t fallback,
                       std::vector<std::string>& warnings) {
  const auto text = env_text(name);
  return text ? read_knob(name, *text, unit, bounds, fallback, warnings) : fallback;
}

}  // namespace sr::base
