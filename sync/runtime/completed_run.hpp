// A run whose devices are all spooled: what the sender delivers.
#pragma once

#include "sync/pipeline/spool.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace sr::sync {

struct CompletedRun {
  std::string source;           // the source's name
  std::string sync_service_id;  // echoed in sync_meta
  std::string run_id;           // UUID v4
  std::uint64_t sequence = 0;   // per source, grows: a higher one supersedes
  std::unique_ptr<RunSpool> spool;
  std::chrono::steady_clock::time_point started, finished;
};

using RunHandler = std::function<void(std::shared_ptr<CompletedRun>)>;

}  // namespace sr::sync
