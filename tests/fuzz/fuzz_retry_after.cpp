// Retry-After from servers nobody controls: seconds or an HTTP date.
#include "base/text/date_time.hpp"
#include "net/https/retry_after.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'764'000'000));
  (void)sr::net::https::parse_retry_after(text, now);
  (void)sr::base::parse_http_date(text);
  return 0;
}
