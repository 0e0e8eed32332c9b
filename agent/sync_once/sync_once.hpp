// `serviceradar-agent sync --once --sources FILE [--out FILE|-]`: runs the
// given sources without any gateway and writes their device updates as
// NDJSON (one device per line, sync_meta included), with a progress line on
// a terminal. Without --once the sources keep their schedule until SIGINT.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace sr::agent {

struct SyncOnceOptions {
  std::string sources_file;
  std::string out = "-";
  bool once = true;
  std::string agent_id = "local", partition = "default";
  std::string state_dir;  // empty: a private temporary spool
  std::uint64_t spool_memory = 8ull << 20, spool_disk_cap = 2ull << 30;
  std::chrono::milliseconds run_timeout{std::chrono::minutes(10)};
  unsigned threads = 2;
  bool progress = true;  // only ever drawn on a terminal
};

// Exit status: 0 every run succeeded, 1 a run failed, 78 bad sources file.
int sync_once(const SyncOnceOptions& options);

}  // namespace sr::agent
