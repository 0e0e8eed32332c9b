#include "sync/runtime/sync_stats.hpp"

#include "base/clock.hpp"
#include "base/prometheus_text.hpp"
#include "contract/device_json.hpp"
#include "sync/adapters/adapter.hpp"

#include <fmt/format.h>

namespace sr::sync {

void SourceStats::run_started() {
  ++runs_started;
  running = true;
  devices_so_far = 0;
  expected_devices = 0;
}

void SourceStats::record(const RunOutcome& outcome, const RunMeasures& run) {
  running = false;
  last_run_unix = run.ended_unix;
  last_duration_seconds = run.seconds;
  filtered_total += run.filtered;
  last_stage = outcome.stage;
  last_http_status = outcome.http_status;
  last_skipped = outcome.skipped;
  skipped_total += outcome.skipped;
  over_cap_total += outcome.over_cap;
  last_retries = outcome.retries.retries;
  retries_total += outcome.retries.retries;
  retry_wait_seconds_total += std::chrono::duration<double>(outcome.retries.waited).count();
  if (outcome.page_concurrency) page_concurrency = outcome.page_concurrency;
  concurrency_decreases_total += outcome.concurrency_decreases;
  if (outcome.ok()) {
    ++runs_succeeded;
    last_result = outcome.skipped ? "partial" : "ok";
    last_error.clear();
    last_devices = run.devices;
    devices_total += run.devices;
    chunks_total += run.chunks;
    run_seconds_total += run.seconds;
  } else {
    ++runs_failed;
    last_result = "failed";
    last_error = outcome.error;
  }
}

void SyncStats::update(const std::string& source, const std::function<void(SourceStats&)>& f) {
  std::lock_guard lock(mu_);
  f(sources_[source]);
}

void SyncStats::remove(const std::string& source) {
  std::lock_guard lock(mu_);
  sources_.erase(source);
}

SourceStats SyncStats::get(const std::string& source) const {
  std::lock_guard lock(mu_);
  auto it = sources_.find(source);
  return it == sources_.end() ? SourceStats{} : it->second;
}

std::map<std::string, SourceStats> SyncStats::snapshot() const {
  std::lock_guard lock(mu_);
  return sources_;
}

void SyncStats::set_config_warnings(std::vector<std::string> warnings) {
  std::lock_guard lock(mu_);
  config_warnings_ = std::move(warnings);
}

namespace {

// ,"<key>":["..",..] when there is anything to say.
void append_string_list(std::string& out, std::string_view key, const std::vector<std::string>& items) {
  if (items.empty()) return;
  out += ",\"";
  out += key;
  out += "\":[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    contract::append_json_string(out, items[i]);
  }
  out += ']';
}

}  // namespace

std::string SyncStats::status_json() const {
  std::string out = "{\"sources\":{";
  bool first = true;
  std::vector<std::string> config_warnings;
  {
    std::lock_guard lock(mu_);
    config_warnings = config_warnings_;
  }
  for (const auto& [name, s] : snapshot()) {
    if (!first) out += ',';
    first = false;
    contract::append_json_string(out, name);
    out += ":{\"type\":";
    contract::append_json_string(out, s.type);
    out += ",\"last_run\":";
    out += s.last_run_unix ? "\"" + base::rfc3339_nanos(s.last_run_unix * 1'000'000'000) + "\"" : "null";
    out += ",\"result\":";
    contract::append_json_string(out, s.running ? "running" : s.last_result.empty() ? "pending" : s.last_result);
    fmt::format_to(std::back_inserter(out),
                   ",\"devices\":{},\"duration_seconds\":{:.3f},\"runs_started\":{},\"runs_succeeded\":{},"
                   "\"runs_failed\":{},\"ticks_skipped\":{},\"runs_sent\":{},\"send_failures\":{}",
                   s.last_devices, s.last_duration_seconds, s.runs_started, s.runs_succeeded,
                   s.runs_failed, s.ticks_skipped, s.runs_sent, s.send_failures);
    out += ",\"error\":";
    contract::append_json_string(out, s.last_error);
    out += ",\"stage\":";
    contract::append_json_string(out, s.last_stage);
    fmt::format_to(std::back_inserter(out), ",\"http_status\":{},\"skipped\":{},\"retries\":{}",
                   s.last_http_status, s.last_skipped, s.last_retries);
    if (s.page_concurrency)
      fmt::format_to(std::back_inserter(out), ",\"page_concurrency\":{},\"page_concurrency_decreases\":{}",
                     s.page_concurrency, s.concurrency_decreases_total);
    out += ",\"send_error\":";
    contract::append_json_string(out, s.last_send_error);
    append_string_list(out, "warnings", s.warnings);
    out += '}';
  }
  out += '}';
  append_string_list(out, "warnings", config_warnings);
  out += '}';
  return out;
}

std::string SyncStats::metrics_text() const {
  using base::prometheus::Type, base::prometheus::Value;
  const auto all = snapshot();
  base::prometheus::Writer page;
  // One series per source.
  auto family = [&](std::string_view name, Type type, std::string_view help, auto value) {
    page.family(name, type, help);
    for (const auto& [source, s] : all) page.sample({{"source", source}}, value(s));
  };
  family("serviceradar_sync_runs_started_total", Type::counter, "Sync runs started.", [](auto& s) { return s.runs_started; });
  family("serviceradar_sync_runs_succeeded_total", Type::counter, "Sync runs that completed.", [](auto& s) { return s.runs_succeeded; });
  family("serviceradar_sync_runs_failed_total", Type::counter, "Sync runs that failed or timed out.", [](auto& s) { return s.runs_failed; });
  family("serviceradar_sync_ticks_skipped_total", Type::counter, "Scheduled runs skipped because a run was in flight.", [](auto& s) { return s.ticks_skipped; });
  family("serviceradar_sync_devices_total", Type::counter, "Devices produced by completed runs.", [](auto& s) { return s.devices_total; });
  family("serviceradar_sync_devices_filtered_total", Type::counter, "Devices dropped by network_blacklist.", [](auto& s) { return s.filtered_total; });
  family("serviceradar_sync_run_seconds_total", Type::counter, "Time spent in completed runs.", [](auto& s) { return Value::fixed(s.run_seconds_total, 3); });
  family("serviceradar_sync_last_run_devices", Type::gauge, "Devices in the last completed run.", [](auto& s) { return s.last_devices; });
  family("serviceradar_sync_last_run_seconds", Type::gauge, "Duration of the last run.", [](auto& s) { return Value::fixed(s.last_duration_seconds, 3); });
  family("serviceradar_sync_last_run_success", Type::gauge, "1 if the last run completed (ok or partial).", [](auto& s) { return s.last_completed() ? 1 : 0; });
  family("serviceradar_sync_last_run_http_status", Type::gauge, "HTTP status of a failed last run (0: none).", [](auto& s) { return s.last_http_status; });
  family("serviceradar_sync_records_skipped_total", Type::counter, "Records or fields left out (no usable IP, wrong types).", [](auto& s) { return s.skipped_total; });
  family("serviceradar_sync_devices_over_cap_total", Type::counter, "Devices past the source's memory cap (max_merged_devices, max_seen_devices): sent unmerged or not retracted that run.", [](auto& s) { return s.over_cap_total; });
  family("serviceradar_sync_retries_total", Type::counter, "Source requests retried (429, 5xx, connection errors).", [](auto& s) { return s.retries_total; });
  family("serviceradar_sync_retry_wait_seconds_total", Type::counter, "Time waited before retries (Retry-After or backoff).", [](auto& s) { return Value::fixed(s.retry_wait_seconds_total, 3); });
  family("serviceradar_sync_page_concurrency", Type::gauge, "Pages of the source in flight at most, as learnt by the end of its last run (AIMD; 0: not an HTTPS source).", [](auto& s) { return s.page_concurrency; });
  family("serviceradar_sync_page_concurrency_decreases_total", Type::counter, "Times push-back (429, 503, timeouts, broken answers) halved the source's pages in flight.", [](auto& s) { return s.concurrency_decreases_total; });
  family("serviceradar_sync_runs_sent_total", Type::counter, "Runs delivered to the gateway.", [](auto& s) { return s.runs_sent; });
  family("serviceradar_sync_send_failures_total", Type::counter, "StreamStatus attempts that failed.", [](auto& s) { return s.send_failures; });
  family("serviceradar_sync_runs_superseded_total", Type::counter, "Unsent runs replaced by a newer run.", [](auto& s) { return s.runs_superseded; });
  family("serviceradar_sync_runs_dropped_total", Type::counter, "Runs the gateway refused (not retried).", [](auto& s) { return s.runs_dropped; });
  family("serviceradar_sync_chunks_sent_total", Type::counter, "Chunks written to StreamStatus.", [](auto& s) { return s.chunks_sent; });
  family("serviceradar_sync_bytes_sent_total", Type::counter, "Chunk message bytes written to StreamStatus.", [](auto& s) { return s.bytes_sent; });
  family("serviceradar_sync_devices_sent_total", Type::counter, "Devices delivered to the gateway.", [](auto& s) { return s.devices_sent; });
  family("serviceradar_sync_config_warnings", Type::gauge, "Config fallbacks and identifier collisions of the source (see the heartbeat's warnings).", [](auto& s) { return s.warnings.size(); });
  std::size_t document_warnings = 0;
  {
    std::lock_guard lock(mu_);
    document_warnings = config_warnings_.size();
  }
  page.single("serviceradar_sync_config_document_warnings", Type::gauge,
              "Warnings about the config as a whole (top-level keys, sources of a type this agent does not run).",
              document_warnings);
  return page.take();
}

}  // namespace sr::sync
