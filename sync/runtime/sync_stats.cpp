#include "sync/runtime/sync_stats.hpp"

#include "net/metrics_text.hpp"
#include "sync/device/device_update.hpp"

#include <fmt/format.h>

namespace sr::sync {

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
    append_json_string(out, items[i]);
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
    append_json_string(out, name);
    out += ":{\"type\":";
    append_json_string(out, s.type);
    out += ",\"last_run\":";
    out += s.last_run_unix ? "\"" + rfc3339_nanos(s.last_run_unix * 1'000'000'000) + "\"" : "null";
    out += ",\"result\":";
    append_json_string(out, s.running ? "running" : s.last_result.empty() ? "pending" : s.last_result);
    fmt::format_to(std::back_inserter(out),
                   ",\"devices\":{},\"duration_seconds\":{:.3f},\"runs_started\":{},\"runs_succeeded\":{},"
                   "\"runs_failed\":{},\"ticks_skipped\":{},\"runs_sent\":{},\"send_failures\":{}",
                   s.last_devices, s.last_duration_seconds, s.runs_started, s.runs_succeeded,
                   s.runs_failed, s.ticks_skipped, s.runs_sent, s.send_failures);
    out += ",\"error\":";
    append_json_string(out, s.last_error);
    out += ",\"stage\":";
    append_json_string(out, s.last_stage);
    fmt::format_to(std::back_inserter(out), ",\"http_status\":{},\"skipped\":{},\"retries\":{}",
                   s.last_http_status, s.last_skipped, s.last_retries);
    out += ",\"send_error\":";
    append_json_string(out, s.last_send_error);
    append_string_list(out, "warnings", s.warnings);
    out += '}';
  }
  out += '}';
  append_string_list(out, "warnings", config_warnings);
  out += '}';
  return out;
}

std::string SyncStats::metrics_text() const {
  const auto all = snapshot();
  std::string out;
  auto family = [&](const char* name, const char* type, const char* help, auto value) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
    for (const auto& [source, s] : all)
      out += fmt::format("{}{{{}}} {}\n", name, net::metrics::label("source", source), value(s));
  };
  family("serviceradar_sync_runs_started_total", "counter", "Sync runs started.", [](auto& s) { return s.runs_started; });
  family("serviceradar_sync_runs_succeeded_total", "counter", "Sync runs that completed.", [](auto& s) { return s.runs_succeeded; });
  family("serviceradar_sync_runs_failed_total", "counter", "Sync runs that failed or timed out.", [](auto& s) { return s.runs_failed; });
  family("serviceradar_sync_ticks_skipped_total", "counter", "Scheduled runs skipped because a run was in flight.", [](auto& s) { return s.ticks_skipped; });
  family("serviceradar_sync_devices_total", "counter", "Devices produced by completed runs.", [](auto& s) { return s.devices_total; });
  family("serviceradar_sync_devices_filtered_total", "counter", "Devices dropped by network_blacklist.", [](auto& s) { return s.filtered_total; });
  family("serviceradar_sync_run_seconds_total", "counter", "Time spent in completed runs.", [](auto& s) { return fmt::format("{:.3f}", s.run_seconds_total); });
  family("serviceradar_sync_last_run_devices", "gauge", "Devices in the last completed run.", [](auto& s) { return s.last_devices; });
  family("serviceradar_sync_last_run_seconds", "gauge", "Duration of the last run.", [](auto& s) { return fmt::format("{:.3f}", s.last_duration_seconds); });
  family("serviceradar_sync_last_run_success", "gauge", "1 if the last run completed (ok or partial).", [](auto& s) { return s.last_completed() ? 1 : 0; });
  family("serviceradar_sync_last_run_http_status", "gauge", "HTTP status of a failed last run (0: none).", [](auto& s) { return s.last_http_status; });
  family("serviceradar_sync_records_skipped_total", "counter", "Records or fields left out (no usable IP, wrong types).", [](auto& s) { return s.skipped_total; });
  family("serviceradar_sync_devices_over_cap_total", "counter", "Devices past the source's memory cap (max_merged_devices, max_seen_devices): sent unmerged or not retracted that run.", [](auto& s) { return s.over_cap_total; });
  family("serviceradar_sync_retries_total", "counter", "Source requests retried (429, 5xx, connection errors).", [](auto& s) { return s.retries_total; });
  family("serviceradar_sync_retry_wait_seconds_total", "counter", "Time waited before retries (Retry-After or backoff).", [](auto& s) { return fmt::format("{:.3f}", s.retry_wait_seconds_total); });
  family("serviceradar_sync_runs_sent_total", "counter", "Runs delivered to the gateway.", [](auto& s) { return s.runs_sent; });
  family("serviceradar_sync_send_failures_total", "counter", "StreamStatus attempts that failed.", [](auto& s) { return s.send_failures; });
  family("serviceradar_sync_runs_superseded_total", "counter", "Unsent runs replaced by a newer run.", [](auto& s) { return s.runs_superseded; });
  family("serviceradar_sync_runs_dropped_total", "counter", "Runs the gateway refused (not retried).", [](auto& s) { return s.runs_dropped; });
  family("serviceradar_sync_chunks_sent_total", "counter", "Chunks written to StreamStatus.", [](auto& s) { return s.chunks_sent; });
  family("serviceradar_sync_bytes_sent_total", "counter", "Chunk message bytes written to StreamStatus.", [](auto& s) { return s.bytes_sent; });
  family("serviceradar_sync_devices_sent_total", "counter", "Devices delivered to the gateway.", [](auto& s) { return s.devices_sent; });
  family("serviceradar_sync_config_warnings", "gauge", "Config fallbacks and identifier collisions of the source (see the heartbeat's warnings).", [](auto& s) { return s.warnings.size(); });
  std::size_t document_warnings = 0;
  {
    std::lock_guard lock(mu_);
    document_warnings = config_warnings_.size();
  }
  out += fmt::format("# HELP serviceradar_sync_config_document_warnings Warnings about the config as a whole "
                     "(top-level keys, sources of a type this agent does not run).\n"
                     "# TYPE serviceradar_sync_config_document_warnings gauge\n"
                     "serviceradar_sync_config_document_warnings {}\n", document_warnings);
  return out;
}

}  // namespace sr::sync
