// The embedded sync runtime: one runner per configured source, each a
// coroutine on its own strand of the shared io_context. A run (a SourceRun,
// source_run.hpp) streams the adapter's DeviceUpdate batches through a
// bounded channel into the chunker and the run spool; a completed run goes
// to the RunHandler (the agent's sender).
//
// apply() reconciles the running set with a new config: unchanged sources
// keep running, changed ones restart, removed ones stop (their in-flight run
// is cancelled, down to its HTTP request). Nothing here blocks a pool thread.
#pragma once

#include "sync/config/source_config.hpp"
#include "sync/pipeline/chunker.hpp"
#include "sync/pipeline/spool.hpp"
#include "sync/runtime/completed_run.hpp"
#include "sync/runtime/sync_stats.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace sr::sync {

struct RunInfo;  // sync/adapters/adapter.hpp

struct RuntimeOptions {
  std::string agent_id, partition, gateway_id;  // defaults for sources without their own
  ChunkLimits limits;
  std::chrono::nanoseconds run_timeout = std::chrono::minutes(10);
  std::chrono::nanoseconds default_interval = std::chrono::minutes(5);
  std::chrono::nanoseconds min_interval = std::chrono::seconds(10);  // tests lower it
  double jitter = 0.05;
  bool once = false;  // run every source one time, no schedule (sync --once)
  std::filesystem::path state_dir;  // sources keep state under it (NetBox: ids seen); "" = none
};

// The pure part of apply(): which runners start, restart and stop.
struct SourcePlan {
  std::vector<std::string> start, restart, stop, keep;
};
SourcePlan plan_sources(const std::map<std::string, std::string>& running_fingerprints,
                        const std::vector<SourceConfig>& wanted);

class SyncRuntime {
 public:
  SyncRuntime(boost::asio::any_io_executor ex, RuntimeOptions options,
              std::shared_ptr<SpoolStore> spool, SyncStats& stats, RunHandler on_complete);
  ~SyncRuntime();

  // From any thread. Sources that cannot run (no adapter, bad options) are
  // logged and reported in the stats; the others run.
  void apply(const SourcesConfig& config);
  void set_gateway_id(std::string id);
  // From any thread: stops every runner; `done` runs once all coroutines ended.
  void stop(std::function<void()> done);
  // From any thread: `done` runs when no run or runner is left (sync --once).
  void when_idle(std::function<void()> done);

  SyncStats& stats() noexcept { return stats_; }
  const SyncStats& stats() const noexcept { return stats_; }
  std::string metrics_text() const;  // sources + spool
  const SpoolStore& spool() const noexcept { return *spool_; }

 private:
  struct Runner;
  void publish_warnings(const SourcesConfig& config);
  void start_runner(const SourceConfig& source);
  boost::asio::awaitable<void> runner_loop(std::shared_ptr<Runner> r);
  void spawn_run(const std::shared_ptr<Runner>& r);
  boost::asio::awaitable<void> run_once(std::shared_ptr<Runner> r);
  RunInfo run_info(Runner& r) const;  // counts the run
  void stop_runner(const std::string& name);
  void coroutine_started();
  void coroutine_ended();
  void coroutine_ended_check();
  std::string gateway_id() const;

  boost::asio::any_io_executor ex_;
  RuntimeOptions options_;
  std::shared_ptr<SpoolStore> spool_;
  SyncStats& stats_;
  RunHandler on_complete_;
  mutable std::mutex mu_;
  bool stopped_ = false;  // under mu_: after stop(), nothing starts again
  std::map<std::string, std::shared_ptr<Runner>> runners_;  // guarded by mu_
  std::string gateway_id_;                                  // guarded by mu_
  std::function<void()> on_idle_;                          // guarded by mu_
  std::atomic<int> live_{0};
  std::atomic<std::uint64_t> sequence_{0};
};

}  // namespace sr::sync
