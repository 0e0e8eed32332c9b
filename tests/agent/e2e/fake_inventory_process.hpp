// tools/fake-inventory as the end-to-end tests start it: a child process
// serving HTTPS with the test PKI's server certificate; its endpoint is read
// from the ready line.
#pragma once

#include "tests/support/child_process.hpp"
#include "tests/support/test_pki.hpp"
#include "tests/support/wait.hpp"

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

namespace sr::test {

struct FakeInventoryProcess {
  // `args`: the inventory and its faults (--devices, --seed, --armis-api-key, ...).
  explicit FakeInventoryProcess(std::vector<std::string> args) {
    const auto pki = test_pki();
    args.insert(args.end(), {"--cert", (pki / "test" / "https-server.pem").string(),
                             "--key", (pki / "test" / "https-server.key").string()});
    const char* program = std::getenv("SR_FAKE_INVENTORY");
    if (!program) fail_hard("SR_FAKE_INVENTORY is not set (run the tests through meson)");
    process = std::make_unique<ChildProcess>(program, args);
    auto ready = process->wait_for_line("fake-inventory ready");
    if (!ready) fail_hard("fake-inventory did not start:\n" + process->log_text());
    endpoint = "https://" + field_of(*ready, "https");
  }
  std::unique_ptr<ChildProcess> process;
  std::string endpoint;
};

}  // namespace sr::test
