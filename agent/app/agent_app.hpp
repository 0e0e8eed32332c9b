// The agent's composition root: everything `run` and `sync` start and stop.
//
//   AgentApp (one per command)
//   ├─ IoPool, the SIGINT/SIGTERM set, SyncStats, SyncRuntime   both commands
//   ├─ ConfigApplier: the one path of every config (fetched, pushed, cached)
//   ├─ GatewayLink: control plane + sender + MessageIdentity    `run` only
//   ├─ ConfigCache, /healthz /readyz /metrics, loop lag,
//   │  SIGHUP reload, start-up pages released after 60 s        `run` only
//   └─ complete runs go to the GatewayLink (`run`) or to the caller (`sync`)
//
// main.cpp reads the command line and the bootstrap, then: construct, the
// run-only set-up calls, start(), wait for a signal, stop(grace).
#pragma once

#include "agent/bootstrap/bootstrap_config.hpp"
#include "agent/config/config_applier.hpp"
#include "agent/gateway/gateway_link.hpp"
#include "agent/process/loop_lag.hpp"
#include "agent/state/config_cache.hpp"
#include "net/grpc_bridge/release_thread.hpp"
#include "net/http/server.hpp"
#include "net/io_pool.hpp"
#include "sync/runtime/sync_runtime.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace sr::agent {

// What both commands set: the pool and the sync runtime.
struct AppSettings {
  unsigned threads = 2;
  std::string agent_id, partition;            // defaults of sources without their own
  std::chrono::milliseconds run_timeout{std::chrono::minutes(10)};
  std::filesystem::path source_state_dir;     // sources keep state under it; "" = none
  std::optional<std::chrono::milliseconds> min_sync_interval;  // unset: the runtime's floor
  bool once = false;                          // sync --once
};

class AgentApp {
 public:
  using Clock = std::chrono::steady_clock;

  // `sync`: complete runs go to `on_run`.
  AgentApp(AppSettings settings, std::shared_ptr<sync::SpoolStore> spool, sync::RunHandler on_run);
  // `run`: complete runs go to the gateway, configs come from it.
  AgentApp(AppSettings settings, std::shared_ptr<sync::SpoolStore> spool, GatewayLinkOptions gateway);
  ~AgentApp();
  AgentApp(const AgentApp&) = delete;
  AgentApp& operator=(const AgentApp&) = delete;

  // `run`, before start(). "" or why not (the key unreadable).
  std::string open_config_cache(const BootstrapConfig& config);
  // `run`, before start(): the cached config runs until the gateway answers.
  void apply_cached_config();
  // `run`, before start(): /healthz, /readyz, /metrics. "" or why not.
  std::string serve_http(const std::string& listen);
  // `run`: SIGHUP re-reads the bootstrap through `reread`.
  void on_reload(std::function<base::Expected<Bootstrap>()> reread);
  // SIGINT or SIGTERM (queued from construction on).
  void on_stop_signal(std::function<void(int)> handler);

  void start();
  // Sources stop at once; the stream in flight may finish within `grace`;
  // then the gateway is left and the pool joined. True: all ended in time.
  bool stop(std::chrono::seconds grace);

  sync::SyncRuntime& runtime() noexcept { return runtime_; }
  const sync::SyncStats& stats() const noexcept { return stats_; }

 private:
  AgentApp(AppSettings settings, std::shared_ptr<sync::SpoolStore> spool, sync::RunHandler on_run,
           bool gateway);
  void start_reload_wait();
  void start_page_release();
  void cancel_services();
  void stop_http(std::chrono::seconds grace);
  std::string metrics_page() const;

  std::optional<net::grpc_bridge::ReleaseThread> releases_;  // `run`: outlives the pool (gRPC channels die there)
  std::shared_ptr<sync::SpoolStore> spool_;
  net::IoPool pool_;
  boost::asio::signal_set stop_signals_;  // made with the pool: a stop during start-up is queued
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  sync::SyncStats stats_;
  std::unique_ptr<GatewayLink> link_;
  sync::SyncRuntime runtime_;
  std::unique_ptr<ConfigCache> cache_;
  std::unique_ptr<ConfigApplier> configs_;
  std::optional<AgentIdentity> identity_;  // `run`: the running identity (SIGHUP keeps it)
  std::unique_ptr<LoopLagProbe> lag_;
  std::unique_ptr<net::http::Server> http_;
  std::optional<boost::asio::signal_set> hangup_;
  std::optional<boost::asio::steady_timer> page_release_;
  std::function<base::Expected<Bootstrap>()> reread_;
};

}  // namespace sr::agent
