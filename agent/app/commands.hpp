// The commands main.cpp dispatches to, given what the command line decided.
//   run           enrol with the gateway and follow its config (AgentApp)
//   check-config  validate the bootstrap and certificates, print the identity
//   sync          agent/sync_once (AgentApp without the gateway)
#pragma once

#include "agent/bootstrap/bootstrap_config.hpp"
#include "base/process_hardening.hpp"
#include "base/expected.hpp"

#include <chrono>
#include <functional>
#include <string>

namespace sr::agent {

constexpr int kExitUsage = 64;   // EX_USAGE
constexpr int kExitConfig = 78;  // EX_CONFIG

struct RunCommand {
  // The bootstrap from file, environment and flags; read again on SIGHUP.
  std::function<base::Expected<Bootstrap>()> load_bootstrap;
  std::string backoff_initial, backoff_max;  // durations as the flags give them
  std::chrono::seconds grace{10};
  base::HardeningReport hardening;
};

// Exit status: 0 after an orderly stop, 64 bad flags, 78 bad bootstrap or state.
int run_command(const RunCommand& command);

// Prints the bootstrap's findings and the identity; 0 when usable, else 1.
int check_config_command(const base::Expected<Bootstrap>& boot);

}  // namespace sr::agent
