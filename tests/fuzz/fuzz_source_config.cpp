// config_json as the gateway sends it: parse_sources, every setting a
// source may look up and the identifier-collision check must hold on any input.
#include "base/text/scalars.hpp"
#include "base/text/size.hpp"
#include "sync/config/identifier_collisions.hpp"
#include "sync/config/source_config.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = sr::sync::parse_sources(text);
  for (const auto& s : parsed.sources)
    for (const char* key : {"page_size", "max_page_bytes", "request_timeout", "body_idle_timeout", "body_timeout",
                            "total_devices", "seed", "churn", "first_slot"})
      (void)s.setting(key);
  (void)sr::sync::identifier_collisions(parsed.sources, "default");
  (void)sr::base::parse_bool_text(text);
  (void)sr::base::parse_int_text(text);
  (void)sr::base::parse_size_text(text);
  (void)sr::sync::validate_cidr(text);
  return 0;
}
