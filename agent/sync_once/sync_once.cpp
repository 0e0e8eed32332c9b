#include "agent/sync_once/sync_once.hpp"

#include "agent/app/agent_app.hpp"
#include "agent/app/commands.hpp"
#include "agent/state/state_dir.hpp"

#include "base/log/logger.hpp"
#include "base/read_file.hpp"
#include "sync/config/source_config.hpp"
#include "sync/pipeline/chunk.hpp"
#include "sync/runtime/sync_runtime.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <fstream>
#include <future>
#include <iostream>
#include <mutex>
#include <optional>

namespace sr::agent {

using Clock = std::chrono::steady_clock;
// Stopping waits for the runs to end, however long (runs have their own time limit).
constexpr std::chrono::seconds kNoGraceLimit = std::chrono::hours(24);

namespace {

// Completed runs, handed from the pool to the main thread, which writes
// them: file output never blocks a pool thread.
struct Outbox {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::shared_ptr<sync::CompletedRun>> runs;
  bool idle = false;
  bool interrupted = false;
};

std::string write_run(const sync::CompletedRun& run, std::ostream& out) {
  const auto total = static_cast<std::int32_t>(run.spool->chunks());
  sync::SyncMeta meta{run.sync_service_id, run.run_id, 0, total, run.spool->devices()};
  std::string line;
  for (std::int32_t i = 0; i < total; ++i) {
    auto chunk = run.spool->read(static_cast<std::size_t>(i));
    if (!chunk) return chunk.error();
    meta.chunk_index = i;
    sync::for_each_body(*chunk, [&](std::string_view body) {
      line.assign(body);
      sync::append_sync_meta(line, meta);
      line += '\n';
      out.write(line.data(), static_cast<std::streamsize>(line.size()));
    });
    if (!out) return "write failed";
  }
  out.flush();
  return out ? std::string() : "write failed";
}

void draw_progress(const sync::SyncStats& stats, Clock::time_point started) {
  std::uint64_t done = 0, expected = 0;
  for (const auto& [name, s] : stats.snapshot()) {
    done += s.running ? s.devices_so_far : s.last_devices;
    expected += s.running ? s.expected_devices : s.last_devices;
  }
  const double secs = std::chrono::duration<double>(Clock::now() - started).count();
  const double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
  std::fprintf(stderr, "\r\033[K%llu / %s devices, %.0f devices/s",
               static_cast<unsigned long long>(done),
               expected ? std::to_string(expected).c_str() : "?", rate);
  std::fflush(stderr);
}

// The sources to run, or why not (printed); nullopt means exit 78.
std::optional<sync::SourcesConfig> read_sources(const SyncOnceOptions& o) {
  auto text = base::read_file(o.sources_file);
  if (!text) {
    std::cerr << "serviceradar-agent sync: " << o.sources_file << ": cannot read the sources file\n";
    return std::nullopt;
  }
  auto config = sync::parse_sources(*text);
  if (!config.fatal.empty()) {
    std::cerr << "serviceradar-agent sync: " << o.sources_file << ": " << config.fatal << "\n";
    return std::nullopt;
  }
  if (config.sources.empty()) {
    for (const auto& e : config.errors) std::cerr << o.sources_file << ": " << e << "\n";
    std::cerr << "serviceradar-agent sync: " << o.sources_file << ": no source to run\n";
    return std::nullopt;
  }
  return config;
}

// The state directory (if any) and the spool; nullptr (printed why) means exit 78.
std::shared_ptr<sync::SpoolStore> open_state(const SyncOnceOptions& o) {
  if (!o.state_dir.empty()) {
    auto prepared = prepare_state_dir(o.state_dir);
    if (!prepared) {
      std::cerr << "serviceradar-agent sync: " << prepared.error() << "\n";
      return nullptr;
    }
    if (!prepared->empty()) std::cerr << "serviceradar-agent sync: warning: " << *prepared << "\n";
  }
  auto spool = open_spool(o.state_dir, o.spool_memory, o.spool_disk_cap);
  if (!spool) {
    std::cerr << "serviceradar-agent sync: " << spool.error() << "\n";
    return nullptr;
  }
  return std::move(*spool);
}

AppSettings app_settings(const SyncOnceOptions& o) {
  AppSettings s;
  s.threads = o.threads;
  s.agent_id = o.agent_id;
  s.partition = o.partition;
  s.run_timeout = o.run_timeout;
  s.once = o.once;
  return s;
}

// Writes the runs as they complete until every source ran (--once) or a
// signal came; "" or the first write error.
std::string write_runs(Outbox& box, std::ostream& out, const SyncOnceOptions& o, const sync::SyncStats& stats,
                       Clock::time_point started) {
  const bool terminal = o.progress && ::isatty(STDERR_FILENO);
  std::string write_error;
  for (;;) {
    std::shared_ptr<sync::CompletedRun> run;
    {
      std::unique_lock lock(box.mu);
      box.cv.wait_for(lock, std::chrono::milliseconds(250),
                      [&] { return !box.runs.empty() || box.idle || box.interrupted; });
      if (!box.runs.empty()) {
        run = std::move(box.runs.front());
        box.runs.pop_front();
      } else if (box.idle || box.interrupted) {
        break;
      }
    }
    if (run) {
      if (auto err = write_run(*run, out); !err.empty() && write_error.empty())
        write_error = fmt::format("{}: {}", o.out == "-" ? "stdout" : o.out, err);
    }
    if (terminal) draw_progress(stats, started);
  }
  if (terminal) std::fputs("\n", stderr);
  return write_error;
}

// Each source's last run, the config's errors, the write error: 0 or 1.
int report(const SyncOnceOptions& o, const sync::SourcesConfig& config, const sync::SyncStats& stats,
           bool interrupted, const std::string& write_error, Clock::time_point started) {
  int status = interrupted ? 1 : 0;
  const double secs = std::chrono::duration<double>(Clock::now() - started).count();
  // A run's error can quote what a server sent: escaped, as in the log.
  for (const auto& [name, s] : stats.snapshot()) {
    std::cerr << fmt::format("{}: {} ({} devices in {:.2f} s){}{}\n", sr::log::escape_text(name),
                             s.last_result.empty() ? "not run" : s.last_result, s.last_devices,
                             s.last_duration_seconds, s.last_error.empty() ? "" : ": ",
                             sr::log::escape_text(s.last_error));
    if (!s.last_completed()) status = 1;
  }
  for (const auto& e : config.errors) {
    std::cerr << o.sources_file << ": " << e << "\n";
    status = 1;
  }
  if (!write_error.empty()) {
    std::cerr << "serviceradar-agent sync: " << write_error << "\n";
    status = 1;
  }
  std::cerr << fmt::format("total: {:.2f} s\n", secs);
  return status;
}

void set_flag(Outbox& box, bool Outbox::*flag) {
  std::lock_guard lock(box.mu);
  box.*flag = true;
  box.cv.notify_all();
}

}  // namespace

int sync_once(const SyncOnceOptions& o) {
  auto config = read_sources(o);
  if (!config) return kExitConfig;
  std::ofstream file;
  std::ostream* out = &std::cout;
  if (o.out != "-") {
    file.open(o.out, std::ios::binary | std::ios::trunc);
    if (!file) {
      std::cerr << "serviceradar-agent sync: cannot write " << o.out << "\n";
      return kExitConfig;
    }
    out = &file;
  }
  auto spool = open_state(o);
  if (!spool) return kExitConfig;

  Outbox box;
  AgentApp app(app_settings(o), std::move(spool), [&box](std::shared_ptr<sync::CompletedRun> run) {
    std::lock_guard lock(box.mu);
    box.runs.push_back(std::move(run));
    box.cv.notify_all();
  });
  app.on_stop_signal([&box](int) { set_flag(box, &Outbox::interrupted); });
  app.start();
  const auto started = Clock::now();
  app.runtime().apply(*config);
  if (o.once) app.runtime().when_idle([&box] { set_flag(box, &Outbox::idle); });
  const auto write_error = write_runs(box, *out, o, app.stats(), started);
  bool interrupted = false;
  {
    std::lock_guard lock(box.mu);
    interrupted = box.interrupted;
  }
  app.stop(kNoGraceLimit);
  return report(o, *config, app.stats(), interrupted, write_error, started);
}

}  // namespace sr::agent
