// Process settings made once at start, before any secret is read: no core
// dumps (a dump holds private keys and integration credentials) and as many
// file descriptors as the hard limit allows. The agent and the reference
// gateway both use these; SR_ALLOW_CORE_DUMPS keeps dumps for debugging.
#pragma once

#include <string>
#include <vector>

namespace sr::base {

struct HardeningReport {
  std::vector<std::string> info, warnings;  // logged once the logger is configured
};

// SR_ALLOW_CORE_DUMPS: "1", "true" or "yes" (any case) keeps core dumps.
bool core_dumps_allowed(const char* env_value);

// Not dumpable: no core file, and no ptrace or /proc/PID/mem by other
// processes of the same user.
void disable_core_dumps(HardeningReport& r);

// The soft open-file limit raised to the hard one.
void raise_fd_limit(HardeningReport& r);

// Both of the above, core dumps kept when allowed (with a warning saying why
// that is dangerous).
HardeningReport harden_process(bool allow_core_dumps);

}  // namespace sr::base
