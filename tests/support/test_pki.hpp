// Where the build put the test PKI (tools/gen-certs --test-set): meson passes
// SR_TEST_PKI to the tests that need certificates.
#pragma once

#include "tests/support/wait.hpp"

#include <cstdlib>
#include <filesystem>

namespace sr::test {

inline std::filesystem::path test_pki() {
  const char* v = std::getenv("SR_TEST_PKI");
  if (!v || !*v) fail_hard("SR_TEST_PKI is not set (run the tests through meson)");
  return v;
}

}  // namespace sr::test
