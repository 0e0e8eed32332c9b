// An Armis access token's expiration_utc, from a server nobody controls: it
// must read as a date the clock can hold, or as none (year 9999 overflowed).
#include "sync/adapters/armis/armis_source.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto when = sr::sync::armis::parse_expiration(text)) {
    // What ensure_token does with it: no overflow, whatever the date.
    const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'764'000'000));
    (void)std::chrono::duration_cast<std::chrono::steady_clock::duration>(*when - now - std::chrono::minutes(5));
  }
  return 0;
}
