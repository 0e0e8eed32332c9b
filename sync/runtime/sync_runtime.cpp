#include "sync/runtime/sync_runtime.hpp"

#include "base/clock.hpp"
#include "base/log/logger.hpp"
#include "base/prometheus_text.hpp"
#include "net/release_after_turn.hpp"
#include "sync/adapters/adapter.hpp"
#include "sync/config/identifier_collisions.hpp"
#include "sync/device/network_filter.hpp"
#include "sync/runtime/schedule.hpp"
#include "sync/runtime/source_run.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include <set>

namespace sr::sync {

namespace asio = boost::asio;
using asio::use_awaitable;
using Clock = std::chrono::steady_clock;

SourcePlan plan_sources(const std::map<std::string, std::string>& running,
                        const std::vector<SourceConfig>& wanted) {
  SourcePlan plan;
  std::set<std::string> names;
  for (const auto& s : wanted) {
    names.insert(s.name);
    auto it = running.find(s.name);
    if (it == running.end()) plan.start.push_back(s.name);
    else if (it->second != s.fingerprint) plan.restart.push_back(s.name);
    else plan.keep.push_back(s.name);
  }
  for (const auto& [name, fp] : running)
    if (!names.count(name)) plan.stop.push_back(name);
  return plan;
}

struct SyncRuntime::Runner : std::enable_shared_from_this<Runner> {
  Runner(asio::any_io_executor ex, SourceConfig s, std::unique_ptr<Adapter> a)
      : strand(asio::make_strand(ex)), source(std::move(s)), adapter(std::move(a)),
        filter(source.network_blacklist) {}

  asio::strand<asio::any_io_executor> strand;
  SourceConfig source;
  std::unique_ptr<Adapter> adapter;
  NetworkFilter filter;
  // On the strand only:
  asio::cancellation_signal loop_stop, run_stop;
  bool in_flight = false, stopped = false;
  std::uint64_t runs = 0;
};

SyncRuntime::SyncRuntime(asio::any_io_executor ex, RuntimeOptions options,
                         std::shared_ptr<SpoolStore> spool, SyncStats& stats, RunHandler on_complete)
    : ex_(std::move(ex)), options_(std::move(options)), spool_(std::move(spool)), stats_(stats),
      on_complete_(std::move(on_complete)), gateway_id_(options_.gateway_id) {}

SyncRuntime::~SyncRuntime() = default;

void SyncRuntime::set_gateway_id(std::string id) {
  std::lock_guard lock(mu_);
  gateway_id_ = std::move(id);
}

std::string SyncRuntime::gateway_id() const {
  std::lock_guard lock(mu_);
  return gateway_id_;
}

void SyncRuntime::coroutine_started() { ++live_; }

void SyncRuntime::coroutine_ended() {
  if (--live_ != 0) return;
  std::function<void()> idle;
  {
    std::lock_guard lock(mu_);
    idle = std::exchange(on_idle_, nullptr);
  }
  if (idle) idle();
}

void SyncRuntime::when_idle(std::function<void()> done) {
  {
    std::lock_guard lock(mu_);
    on_idle_ = std::move(done);
  }
  if (live_ == 0) coroutine_ended_check();
}

void SyncRuntime::coroutine_ended_check() {
  std::function<void()> idle;
  {
    std::lock_guard lock(mu_);
    if (live_ == 0) idle = std::exchange(on_idle_, nullptr);
  }
  if (idle) idle();
}

// Called once per config version, so each warning is logged once per version.
void SyncRuntime::publish_warnings(const SourcesConfig& config) {
  for (const auto& e : config.errors) sr::log::error("sync", e);
  for (const auto& w : config.warnings) sr::log::warn("sync", w);
  stats_.set_config_warnings(config.warnings);
  auto collisions = identifier_collisions(config.sources, options_.partition);
  for (const auto& source : config.sources) {
    auto warnings = source.warnings;
    auto& more = collisions[source.name];
    warnings.insert(warnings.end(), more.begin(), more.end());
    for (const auto& w : warnings) sr::log::warn(source.name, w);
    stats_.update(source.name, [&](SourceStats& s) { s.warnings = std::move(warnings); });
  }
}

void SyncRuntime::apply(const SourcesConfig& config) {
  publish_warnings(config);
  std::map<std::string, std::string> running;
  {
    std::lock_guard lock(mu_);
    for (const auto& [name, r] : runners_) running[name] = r->source.fingerprint;
  }
  const auto plan = plan_sources(running, config.sources);
  for (const auto& name : plan.stop) {
    sr::log::info(name, "source removed from the config: stopping");
    stop_runner(name);
    stats_.remove(name);
  }
  for (const auto& source : config.sources) {
    const bool restart = std::find(plan.restart.begin(), plan.restart.end(), source.name) != plan.restart.end();
    const bool start = std::find(plan.start.begin(), plan.start.end(), source.name) != plan.start.end();
    if (restart) {
      sr::log::info(source.name, "source changed: restarting");
      stop_runner(source.name);
    }
    if (restart || start) start_runner(source);
  }
}

void SyncRuntime::start_runner(const SourceConfig& source) {
  auto adapter = make_adapter(source);
  stats_.update(source.name, [&](SourceStats& s) {
    s.type = source.type;
    if (!adapter) {
      s.last_result = "failed";
      s.last_error = adapter.error();
    }
  });
  if (!adapter) {
    sr::log::error(source.name, "source cannot run: " + adapter.error());
    return;
  }
  auto r = std::make_shared<Runner>(ex_, source, std::move(*adapter));
  {
    std::lock_guard lock(mu_);
    // A config applied while the agent stops must not start what stop() missed.
    if (stopped_) return;
    runners_[source.name] = r;
    // Counted before the lock is let go: a stop() from here on waits for this
    // runner instead of finding the runtime idle.
    coroutine_started();
  }
  const Schedule probe(Clock::now(), source.discovery_interval, source.poll_interval,
                       options_.default_interval, options_.min_interval, 0, 0);
  std::string every;
  for (auto d : probe.intervals()) every += (every.empty() ? "" : " and ") + seconds_text(d);
  sr::log::info(source.name, fmt::format("source started: type {}{}", source.type,
                                         options_.once ? ", one run" : ", runs now and every " + every));

  asio::post(r->strand, [this, r] {
    // The runner (and so loop_stop, whose slot co_spawn clears after this
    // handler) lives until co_spawn is done with it.
    asio::co_spawn(r->strand, runner_loop(r),
                   asio::bind_cancellation_slot(r->loop_stop.slot(), [this, r](std::exception_ptr) {
                     coroutine_ended();
                     net::release_after_turn(r->strand, r);
                   }));
  });
}

RunInfo SyncRuntime::run_info(Runner& r) const {
  const auto& src = r.source;
  RunInfo info;
  info.run_number = r.runs++;
  info.agent_id = src.agent_id.empty() ? options_.agent_id : src.agent_id;
  info.gateway_id = src.gateway_id.empty() ? gateway_id() : src.gateway_id;
  info.partition = !src.partition.empty() ? src.partition
                   : !options_.partition.empty() ? options_.partition : "default";
  info.timestamp = base::rfc3339_nanos(base::unix_now_ns());
  if (!options_.state_dir.empty()) info.state_dir = options_.state_dir / "sources";
  return info;
}

// One run (see source_run.hpp); a complete one with devices goes to the handler.
asio::awaitable<void> SyncRuntime::run_once(std::shared_ptr<Runner> r) {
  const auto& src = r->source;
  const auto time_limit = src.run_timeout.count() > 0 ? src.run_timeout : options_.run_timeout;
  SourceRun run({r->strand, ex_, src, *r->adapter, r->filter, stats_, spool_, options_.limits, time_limit},
                run_info(*r));
  auto completed = co_await run.execute();
  if (!completed) co_return;
  completed->sequence = ++sequence_;
  on_complete_(std::move(completed));
}

void SyncRuntime::spawn_run(const std::shared_ptr<Runner>& r) {
    r->in_flight = true;
    coroutine_started();
    asio::co_spawn(r->strand, run_once(r),
                   asio::bind_cancellation_slot(r->run_stop.slot(), [this, r](std::exception_ptr e) {
                     r->in_flight = false;
                     if (e) {
                       try {
                         std::rethrow_exception(e);
                       } catch (const std::exception& ex) {
                         sr::log::error(r->source.name, std::string("run ended by an exception: ") + ex.what());
                       }
                     }
                     coroutine_ended();
                     net::release_after_turn(r->strand, r);  // run_stop: as loop_stop above
                   }));
}

asio::awaitable<void> SyncRuntime::runner_loop(std::shared_ptr<Runner> r) {
    // stop_runner() may have run on the strand before this coroutine could
    // hear its signal: then nothing starts (a loop left waiting would keep
    // the pool from draining at shutdown).
    if (r->stopped) co_return;
    spawn_run(r);
    if (options_.once) co_return;
    Schedule schedule(Clock::now(), r->source.discovery_interval, r->source.poll_interval,
                      options_.default_interval, options_.min_interval, options_.jitter,
                      std::hash<std::string>{}(r->source.name + options_.agent_id));
    asio::steady_timer timer(r->strand);
    for (;;) {
      timer.expires_at(schedule.next());
      auto [ec] = co_await timer.async_wait(asio::as_tuple(use_awaitable));
      if (ec || r->stopped) co_return;
      if (r->in_flight) {
        stats_.update(r->source.name, [](SourceStats& s) { ++s.ticks_skipped; });
        sr::log::warn(r->source.name, "tick skipped: the previous run is still in flight");
        continue;
      }
      spawn_run(r);
    }
}

void SyncRuntime::stop_runner(const std::string& name) {
  std::shared_ptr<Runner> r;
  {
    std::lock_guard lock(mu_);
    auto it = runners_.find(name);
    if (it == runners_.end()) return;
    r = std::move(it->second);
    runners_.erase(it);
  }
  asio::post(r->strand, [r] {
    r->stopped = true;
    r->loop_stop.emit(asio::cancellation_type::terminal);
    r->run_stop.emit(asio::cancellation_type::terminal);
  });
}

void SyncRuntime::stop(std::function<void()> done) {
  std::vector<std::string> names;
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
    for (const auto& [name, r] : runners_) names.push_back(name);
    on_idle_ = std::move(done);
  }
  for (const auto& n : names) stop_runner(n);
  coroutine_ended_check();
}

std::string SyncRuntime::metrics_text() const {
  using base::prometheus::Type;
  base::prometheus::Writer page;
  page.single("serviceradar_sync_spool_memory_bytes", Type::gauge, "Chunk bytes held in memory by the spool.",
              spool_->memory_used());
  page.single("serviceradar_sync_spool_disk_bytes", Type::gauge, "Chunk bytes in spool files.", spool_->disk_used());
  return stats_.metrics_text() + page.text();
}

}  // namespace sr::sync
