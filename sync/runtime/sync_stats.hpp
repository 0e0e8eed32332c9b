// Per-source counters of the sync runtime and the sender, read by the
// heartbeat (status JSON) and /metrics. Thread-safe; cheap to update.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace sr::sync {

struct RunOutcome;  // sync/adapters/adapter.hpp

// What the runtime measured of a run, beside the adapter's outcome.
struct RunMeasures {
  double seconds = 0;
  std::uint64_t devices = 0, chunks = 0;  // spooled
  std::uint64_t filtered = 0;             // dropped by network_blacklist
  std::int64_t ended_unix = 0;
};

struct SourceStats {
  std::string type;
  // Runs.
  std::uint64_t runs_started = 0, runs_succeeded = 0, runs_failed = 0, ticks_skipped = 0;
  std::uint64_t devices_total = 0, chunks_total = 0, filtered_total = 0;
  double run_seconds_total = 0;
  bool running = false;
  std::uint64_t expected_devices = 0, devices_so_far = 0;  // the run in flight
  std::int64_t last_run_unix = 0;   // when the last run ended
  std::string last_result;          // "", ok, partial (records left out), failed
  bool last_completed() const { return last_result == "ok" || last_result == "partial"; }
  std::string last_stage;           // failed: where (setup, auth, search, devices, push, ...)
  unsigned last_http_status = 0;    // failed: the last HTTP status seen, 0 for none
  std::uint64_t last_skipped = 0, skipped_total = 0;  // records or fields left out
  std::uint64_t over_cap_total = 0;  // devices past the source's memory cap (degraded, logged)
  std::uint64_t last_retries = 0, retries_total = 0;  // requests retried (429, 5xx, resets)
  double retry_wait_seconds_total = 0;                // waited before those retries
  // Pages in flight (HTTPS sources): the limit at the last run's end (0:
  // none yet), and how often push-back halved it, over all runs.
  unsigned page_concurrency = 0;
  std::uint64_t concurrency_decreases_total = 0;
  std::uint64_t last_devices = 0;
  double last_duration_seconds = 0;
  std::string last_error;
  // Delivery.
  std::uint64_t runs_sent = 0, send_failures = 0, runs_superseded = 0, runs_dropped = 0;
  std::uint64_t chunks_sent = 0, bytes_sent = 0, devices_sent = 0;
  std::string last_send_error;
  // Config: fallbacks taken reading the source, and sources it may collide
  // with; refreshed on every config applied.
  std::vector<std::string> warnings;

  // A run starts: it is in flight, its progress counted from zero.
  void run_started();
  // A run ended: completed (ok or partial) or failed, as `outcome` says.
  void record(const RunOutcome& outcome, const RunMeasures& run);
};

class SyncStats {
 public:
  void update(const std::string& source, const std::function<void(SourceStats&)>& f);
  void remove(const std::string& source);
  SourceStats get(const std::string& source) const;
  std::map<std::string, SourceStats> snapshot() const;

  // About the config as a whole (top-level keys, types this agent does not run).
  void set_config_warnings(std::vector<std::string> warnings);

  // {"sources":{"<name>":{"type":..,"last_run":..,"result":..,"devices":..,"error":..,
  //  "warnings":[..]?,...}},"warnings":[..]?}
  std::string status_json() const;
  std::string metrics_text() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, SourceStats> sources_;
  std::vector<std::string> config_warnings_;
};

}  // namespace sr::sync
