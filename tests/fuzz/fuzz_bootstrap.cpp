// The agent's bootstrap file (JSON) with environment overrides: any content
// is refused with an error or accepted, never a crash.
#include "agent/bootstrap/bootstrap_config.hpp"

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string file = "/tmp/fuzz-bootstrap-" + std::to_string(::getpid()) + ".json";
  if (std::FILE* f = std::fopen(file.c_str(), "wb")) {
    std::fwrite(data, 1, size, f);
    std::fclose(f);
  }
  // The input's tail doubles as one environment value, so both sources are exercised.
  const std::string tail(reinterpret_cast<const char*>(data) + size / 2, size - size / 2);
  auto env = [&](const std::string& name) -> std::optional<std::string> {
    if (name == "SR_MIN_POLL_INTERVAL" || name == "SR_SPOOL_MEMORY" || name == "SR_THREADS") return tail;
    return std::nullopt;
  };
  (void)sr::agent::load_bootstrap(file, true, env, {});
  return 0;
}
