// What every source type implements: fetch the inventory and hand it on as
// DeviceUpdate batches. The runner owns scheduling, chunking and spooling;
// an adapter only knows its API and its mapping.
#pragma once

#include "base/expected.hpp"
#include "sync/config/source_config.hpp"
#include "sync/device/device_update.hpp"
#include "sync/pipeline/encoded_batch.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace sr::sync {

// Where an adapter puts its devices, as DeviceUpdates or as bodies already
// written (EncodedBatch, from the parser's fields). push() waits while the
// pipeline is full (backpressure) and returns false when the run is being
// stopped. An empty batch is nothing to push.
class DeviceSink {
 public:
  virtual ~DeviceSink() = default;
  virtual boost::asio::awaitable<bool> push(DeviceBatch batch) = 0;
  virtual boost::asio::awaitable<bool> push(EncodedBatch batch) = 0;
  // How many devices the source says it has (for progress), when it says.
  virtual void expect_total(std::uint64_t total) = 0;
};

// What a run knows besides the source's own config.
struct RunInfo {
  std::uint64_t run_number = 0;  // 0 for the runner's first run
  std::string agent_id, gateway_id, partition;  // source's own, else the agent's
  std::string timestamp;         // RFC 3339, when the run started
  std::filesystem::path state_dir;  // where a source may keep state between runs ("" = none)
};

// The fields every update of a run shares: the device's id by IP in the
// run's partition, the source type, who sends it and when.
inline void stamp_update(DeviceUpdate& d, const RunInfo& info, std::string ip, const char* source) {
  d.device_id = info.partition + ":" + ip;
  d.ip = std::move(ip);
  d.source = source;
  d.agent_id = info.agent_id;
  d.gateway_id = info.gateway_id;
  d.partition = info.partition;
  d.timestamp = info.timestamp;
}

// Requests retried during a run and the time spent waiting before them
// (Retry-After or backoff), as the retry policy decided.
struct RetryTally {
  std::uint64_t retries = 0;
  std::chrono::milliseconds waited{0};
};

// How a run ended, as its adapter saw it: failed (error, the step it failed
// at, the last HTTP status), partial (complete, but records were left out:
// no usable IP, fields of the wrong type), or whole.
struct RunOutcome {
  std::string error;         // "" when the run completed; never a credential
  std::string stage;         // with an error: setup, auth, search, devices, push
  unsigned http_status = 0;  // with an error: the last HTTP status seen (0: none)
  std::uint64_t skipped = 0; // records (or fields) left out
  RetryTally retries;
  // Devices past a source's memory cap (Armis max_merged_devices, NetBox
  // max_seen_devices), handled the degraded way the source states and logs.
  std::uint64_t over_cap = 0;
  // Pages in flight (HTTPS sources): the limit at the run's end (0: not
  // paged concurrently), and how often push-back halved it during the run.
  unsigned page_concurrency = 0;
  std::uint64_t concurrency_decreases = 0;
  bool ok() const { return error.empty(); }
  static RunOutcome failed(std::string stage, std::string error, unsigned http_status = 0) {
    RunOutcome o;
    o.error = std::move(error);
    o.stage = std::move(stage);
    o.http_status = http_status;
    return o;
  }
  // Complete; partial when `skipped` records were left out.
  static RunOutcome completed(std::uint64_t skipped = 0) {
    RunOutcome o;
    o.skipped = skipped;
    return o;
  }
};

class Adapter {
 public:
  virtual ~Adapter() = default;
  // Streams the source's devices into `sink`.
  virtual boost::asio::awaitable<RunOutcome> run(const RunInfo& info, DeviceSink& sink) = 0;
};

// The adapter for the source's type, or why the source cannot run (the
// factory of the type's entry in registry.hpp).
base::Expected<std::unique_ptr<Adapter>> make_adapter(const SourceConfig& source);

}  // namespace sr::sync
