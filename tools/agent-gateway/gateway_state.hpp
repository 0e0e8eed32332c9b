// What the gateway knows about its agents and streams, for the status page
// and the tests: last seen, capabilities, config versions sent and acked,
// streams accepted and rejected (with reasons), devices per tenant.
// Thread-safe: gRPC handlers on several strands update it.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace sr::gateway {

struct AgentKey {
  std::string tenant, agent_id;
  auto operator<=>(const AgentKey&) const = default;
};

// A command sent to the agent: "queued", "sent", "acked", then "done" with
// the agent's result.
struct CommandRecord {
  std::string id, type, state;
  bool success = false;
  std::string message;
};

// A stream as the gateway ended it: "accepted" or the rejection's code.
struct StreamRecord {
  std::int64_t at = 0;  // Unix s
  std::string result;
  std::uint64_t chunks = 0, devices = 0;
};

struct AgentRecord {
  std::string partition, version, hostname, os, arch;
  std::vector<std::string> capabilities;
  std::int64_t last_seen = 0;  // Unix s
  std::string config_sent, config_acked;
  bool control_stream_open = false;
  std::uint64_t hellos = 0, pushes = 0;
  std::deque<CommandRecord> commands;  // newest last, bounded
  StreamRecord last_stream;
  std::uint64_t sources_dropped = 0;  // heartbeat sources beyond kMaxSourcesPerAgent
};

// One integration source's last run, as its agent's heartbeat reported it.
struct SourceReport {
  std::string name, agent_id, type, last_run, result, error, stage, send_error;
  std::uint64_t devices = 0, runs_sent = 0, send_failures = 0, retries = 0;
  std::int64_t reported_at = 0;  // Unix s of the heartbeat
};

// A completed run, for the status page's chart.
struct RunPoint {
  std::string at;  // the run's end (RFC 3339, as reported)
  std::uint64_t devices = 0;
  std::string result;
};

struct SourceRecord {
  SourceReport last;
  std::deque<RunPoint> runs;  // oldest first, bounded
};

struct TenantStreams {
  std::uint64_t accepted = 0, rejected = 0, devices = 0, chunks = 0;
  std::map<std::string, std::uint64_t> rejected_by_code;
  std::deque<std::string> recent_rejections;  // newest last, bounded
};

// gRPC calls: how many ran, how many were refused and why. Atomics: every
// handler touches them, /status reads them.
struct CallCounters {
  std::atomic<std::uint64_t> started{0};          // handlers that ran (after TLS)
  std::atomic<std::uint64_t> active{0};           // admitted and not yet ended
  std::atomic<std::uint64_t> refused_gateway{0};  // over the gateway's cap
  std::atomic<std::uint64_t> refused_agent{0};    // over the agent's cap
  std::atomic<std::uint64_t> hello_timeouts{0};   // streams without a first message in time
};

class GatewayState {
 public:
  static constexpr std::int64_t kOnlineWindow = 120;  // s: "online" = seen this recently
  static constexpr std::size_t kRecentRejections = 20;
  static constexpr std::size_t kRecentCommands = 20;
  static constexpr std::size_t kRecentRuns = 30;
  // Sources one agent's heartbeat may name; the rest are dropped and counted.
  static constexpr std::size_t kMaxSourcesPerAgent = 256;

  template <class Update>
  void update_agent(const AgentKey& key, Update&& update) {
    std::lock_guard lock(mu_);
    update(agents_[key]);
  }
  // Replaces the record with the same id, or adds it (dropping the oldest).
  void record_command(const AgentKey& key, CommandRecord command);
  void stream_accepted(const std::string& tenant, std::uint64_t devices);
  void stream_rejected(const std::string& tenant, const std::string& code, const std::string& why);
  void chunk_received(const std::string& tenant);  // as each chunk is taken by the sink
  void stream_ended(const AgentKey& key, StreamRecord record);
  // One heartbeat of `agent`: its source reports replace the ones it sent
  // before (a source it no longer names is forgotten); at most
  // kMaxSourcesPerAgent are kept. A run not seen before joins the history.
  // Returns how many reports were dropped by the bound.
  std::size_t sources_reported(const AgentKey& agent, std::vector<SourceReport> reports);

  // Copies, for the admin API.
  std::map<AgentKey, AgentRecord> agents_of(const std::string& tenant) const;
  std::map<std::string, SourceRecord> sources_of(const std::string& tenant) const;
  static bool online(const AgentRecord& r, std::int64_t now) { return now - r.last_seen <= kOnlineWindow; }

  // Whole state as JSON text (the HTTP status endpoint): a copy taken under
  // the lock, serialised outside it, so gRPC handlers never wait for JSON.
  std::string status_json(std::int64_t now) const;

  CallCounters& calls() noexcept { return calls_; }
  const CallCounters& calls() const noexcept { return calls_; }

  struct Snapshot;

 private:
  Snapshot snapshot() const;

  CallCounters calls_;
  mutable std::mutex mu_;
  std::map<AgentKey, AgentRecord> agents_;
  std::map<std::string, TenantStreams> streams_;
  std::map<std::string, std::map<std::string, SourceRecord>> sources_;  // tenant -> source name
};

}  // namespace sr::gateway
