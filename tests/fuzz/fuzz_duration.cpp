// Go-style durations ("1h30m", "250ms") from config: any text, no crash, no overflow.
#include "base/text/duration.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)sr::base::parse_duration(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
