#include "sync/runtime/sync_runtime.hpp"

#include "net/await_elsewhere.hpp"
#include "net/log/logger.hpp"
#include "sync/adapters/adapter.hpp"
#include "sync/config/identifier_collisions.hpp"
#include "sync/device/network_filter.hpp"
#include "sync/pipeline/chunker.hpp"
#include "sync/runtime/schedule.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/multiple_exceptions.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include <random>
#include <set>

namespace sr::sync {

namespace asio = boost::asio;
using asio::use_awaitable;
using Clock = std::chrono::steady_clock;
// Thread-safe: the adapter runs on its own strand, so fetching or generating
// the next page overlaps with chunking the last one (two pool threads busy).
using Channel = asio::experimental::concurrent_channel<void(boost::system::error_code, DeviceBatch)>;

std::string new_uuid_v4() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const std::uint64_t a = rng(), b = rng();
  const std::uint64_t hi = (a & 0xFFFFFFFFFFFF0FFFull) | 0x0000000000004000ull;
  const std::uint64_t lo = (b & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", hi >> 32, (hi >> 16) & 0xFFFF, hi & 0xFFFF,
                     lo >> 48, lo & 0xFFFFFFFFFFFFull);
}

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

namespace {

// The adapter's side of the run's bounded channel.
class ChannelSink final : public DeviceSink {
 public:
  ChannelSink(Channel& ch, SyncStats& stats, const std::string& source)
      : ch_(ch), stats_(stats), source_(source) {}
  asio::awaitable<bool> push(DeviceBatch batch) override {
    if (batch.empty()) co_return true;  // empty is the end marker
    auto [ec] = co_await ch_.async_send(boost::system::error_code{}, std::move(batch),
                                        asio::as_tuple(use_awaitable));
    co_return !ec;
  }
  void expect_total(std::uint64_t total) override {
    stats_.update(source_, [&](SourceStats& s) { s.expected_devices = total; });
  }

 private:
  Channel& ch_;
  SyncStats& stats_;
  const std::string& source_;
};

std::string seconds_text(std::chrono::nanoseconds d) {
  if (d < std::chrono::seconds(1))
    return fmt::format("{} ms", std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
  return fmt::format("{:.1f} s", std::chrono::duration<double>(d).count());
}

}  // namespace

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
    // The completion handler keeps the runner (and so loop_stop, whose slot
    // co_spawn clears as the loop ends) alive until co_spawn is done with it.
    asio::co_spawn(r->strand, runner_loop(r),
                   asio::bind_cancellation_slot(r->loop_stop.slot(), [this, r](std::exception_ptr) {
                     coroutine_ended();
                   }));
  });
}

namespace {

// Why a run's coroutines threw: "cancelled" when stopped (both halves of a
// run see the cancellation, so it may come as multiple_exceptions).
std::string run_failure(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const asio::multiple_exceptions& m) {
    return run_failure(m.first_exception());
  } catch (const boost::system::system_error& s) {
    return s.code() == asio::error::operation_aborted ? "cancelled" : s.what();
  } catch (const std::exception& x) {
    return x.what();
  }
}

}  // namespace

// One run: adapter -> channel -> chunker -> spool; then the handler.
asio::awaitable<void> SyncRuntime::run_once(std::shared_ptr<Runner> r) {
    const auto& src = r->source;
    RunInfo info;
    info.run_number = r->runs++;
    info.agent_id = src.agent_id.empty() ? options_.agent_id : src.agent_id;
    info.gateway_id = src.gateway_id.empty() ? gateway_id() : src.gateway_id;
    info.partition = !src.partition.empty() ? src.partition
                     : !options_.partition.empty() ? options_.partition : "default";
    info.timestamp = rfc3339_nanos(unix_now_ns());
    if (!options_.state_dir.empty()) info.state_dir = options_.state_dir / "sources";
    auto run = std::make_shared<CompletedRun>();
    run->source = src.name;
    run->sync_service_id = src.sync_service_id.empty() ? src.name : src.sync_service_id;
    run->run_id = new_uuid_v4();
    run->started = Clock::now();
    run->spool = std::make_unique<RunSpool>(spool_);
    stats_.update(src.name, [](SourceStats& s) {
      ++s.runs_started;
      s.running = true;
      s.devices_so_far = 0;
      s.expected_devices = 0;
    });
    sr::log::debug(src.name, "run " + run->run_id + " started");

    Channel ch(r->strand, 2);
    std::uint64_t filtered = 0;
    auto produce = [&]() -> asio::awaitable<RunOutcome> {
      ChannelSink sink(ch, stats_, src.name);
      auto outcome = co_await r->adapter->run(info, sink);
      if (outcome.ok()) co_await ch.async_send(boost::system::error_code{}, DeviceBatch{},
                                               asio::as_tuple(use_awaitable));  // end marker
      else ch.close();
      co_return outcome;
    };
    auto consume = [&]() -> asio::awaitable<std::string> {
      Chunker chunker(options_.limits, sync_meta_worst_case(run->sync_service_id, run->run_id));
      for (;;) {
        auto [ec, batch] = co_await ch.async_receive(asio::as_tuple(use_awaitable));
        if (ec || batch.empty()) break;
        for (const auto& d : batch) {
          if (r->filter.blocks(d.ip)) {
            ++filtered;
            continue;
          }
          if (auto sealed = chunker.add(d)) {
            if (auto err = run->spool->add(std::move(*sealed)); !err.empty()) {
              ch.close();
              co_return "spool: " + err;
            }
            chunker.recycle(std::move(sealed->bodies));  // spilled: its buffer is free again
          }
        }
        // A count, not the binding: clang before 16 cannot capture structured bindings.
        const auto taken = batch.size();
        stats_.update(src.name, [&](SourceStats& s) { s.devices_so_far += taken; });
      }
      if (auto last = chunker.finish())
        if (auto err = run->spool->add(std::move(*last)); !err.empty()) co_return "spool: " + err;
      co_return std::string();
    };
    const auto time_limit = src.run_timeout.count() > 0 ? src.run_timeout : options_.run_timeout;
    auto limit = [&]() -> asio::awaitable<void> {
      asio::steady_timer t(r->strand);
      t.expires_after(time_limit);
      co_await t.async_wait(use_awaitable);
    };

    RunOutcome outcome;
    try {
      using namespace asio::experimental::awaitable_operators;
      auto producer = net::await_elsewhere(asio::make_strand(ex_), produce());
      auto ended = co_await ((std::move(producer) && consume()) || limit());
      if (ended.index() == 1) {
        outcome = RunOutcome::failed("time limit", "run time limit of " + seconds_text(time_limit) + " reached");
      } else {
        auto& [produced, cerr] = std::get<0>(ended);
        outcome = !cerr.empty() ? RunOutcome::failed("spool", cerr) : std::move(produced);
      }
    } catch (...) {
      outcome = RunOutcome::failed("cancelled", run_failure(std::current_exception()));
    }
    const std::string& error = outcome.error;
    run->finished = Clock::now();
    const auto took = run->finished - run->started;
    const double secs = std::chrono::duration<double>(took).count();
    const auto devices = run->spool->devices();
    const auto chunks = run->spool->chunks();
    // A failed run's chunks are released before anyone hears of the failure.
    if (!error.empty()) run->spool.reset();
    stats_.update(src.name, [&](SourceStats& s) {
      s.running = false;
      s.last_run_unix = unix_now_ns() / 1'000'000'000;
      s.last_duration_seconds = secs;
      s.filtered_total += filtered;
      s.last_stage = outcome.stage;
      s.last_http_status = outcome.http_status;
      s.last_skipped = outcome.skipped;
      s.skipped_total += outcome.skipped;
      s.over_cap_total += outcome.over_cap;
      s.last_retries = outcome.retries.retries;
      s.retries_total += outcome.retries.retries;
      s.retry_wait_seconds_total += std::chrono::duration<double>(outcome.retries.waited).count();
      if (error.empty()) {
        ++s.runs_succeeded;
        s.last_result = outcome.skipped ? "partial" : "ok";
        s.last_error.clear();
        s.last_devices = devices;
        s.devices_total += devices;
        s.chunks_total += chunks;
        s.run_seconds_total += secs;
      } else {
        ++s.runs_failed;
        s.last_result = "failed";
        s.last_error = error;
      }
    });
    if (!error.empty()) {
      sr::log::error(src.name, fmt::format("run {} failed after {:.1f} s: {}", run->run_id, secs, error));
      co_return;
    }
    sr::log::info(src.name, fmt::format("run {} complete: {} devices in {} chunks, {:.2f} s{}{}", run->run_id,
                                        devices, chunks, secs,
                                        filtered ? fmt::format(" ({} filtered by network_blacklist)", filtered) : "",
                                        outcome.skipped ? fmt::format(" (partial: {} records or fields left out)",
                                                                      outcome.skipped)
                                                        : ""));
    if (devices == 0) co_return;  // nothing to send: see README, "Empty runs"
    run->sequence = ++sequence_;
    on_complete_(std::move(run));
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
  std::string out = stats_.metrics_text();
  out += fmt::format(
      "# HELP serviceradar_sync_spool_memory_bytes Chunk bytes held in memory by the spool.\n"
      "# TYPE serviceradar_sync_spool_memory_bytes gauge\nserviceradar_sync_spool_memory_bytes {}\n"
      "# HELP serviceradar_sync_spool_disk_bytes Chunk bytes in spool files.\n"
      "# TYPE serviceradar_sync_spool_disk_bytes gauge\nserviceradar_sync_spool_disk_bytes {}\n",
      spool_->memory_used(), spool_->disk_used());
  return out;
}

}  // namespace sr::sync
