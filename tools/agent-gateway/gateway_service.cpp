#include "tools/agent-gateway/gateway_service.hpp"

#include "net/grpc_bridge/server_bidi.hpp"
#include "net/grpc_bridge/server_reader.hpp"
#include "net/grpc_bridge/server_unary.hpp"
#include "tools/agent-gateway/log.hpp"
#include "tools/agent-gateway/unix_clock.hpp"
#include "tools/agent-gateway/status/heartbeat_report.hpp"
#include "tools/agent-gateway/streams/device_batch.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <grpc/grpc_security_constants.h>
#include <grpcpp/security/auth_context.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <iterator>
#include <optional>
#include <set>
#include <tuple>
#include <utility>
#include <variant>

namespace sr::gateway {

namespace asio = boost::asio;
using asio::use_awaitable;
using monitoring::ControlStreamRequest;
using monitoring::ControlStreamResponse;
using monitoring::GatewayStatusChunk;

namespace {

// The peer's leaf certificate first, then whatever chain it presented: the
// verifier takes the first certificate as the leaf.
std::string peer_chain_pem(const grpc::CallbackServerContext& ctx) {
  auto auth = ctx.auth_context();
  if (!auth) return {};
  std::string pem;
  for (const auto& v : auth->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME))
    pem.append(v.data(), v.size());
  if (pem.empty()) return {};
  for (const auto& v : auth->FindPropertyValues(GRPC_X509_PEM_CERT_CHAIN_PROPERTY_NAME))
    pem.append(v.data(), v.size());
  return pem;
}

const char* code_name(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return "OK";
    case grpc::StatusCode::CANCELLED: return "CANCELLED";
    case grpc::StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::UNAUTHENTICATED: return "UNAUTHENTICATED";
    case grpc::StatusCode::INTERNAL: return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    default: return "OTHER";
  }
}

std::string who(const Caller& c) {
  if (c.identity.agent_id.empty()) return "unidentified client";
  return fmt::format("{} '{}' (tenant '{}', partition '{}')",
                     c.identity.component_type.empty() ? "agent" : c.identity.component_type,
                     c.identity.agent_id, c.identity.tenant, c.identity.partition);
}

// Reads a stream's first message; ends the call (TryCancel) when it has not
// come within `timeout`, so a client that opens streams and sends nothing
// holds no slot for long. `late` says the deadline ended it.
template <class Msg, class Stream>
asio::awaitable<std::tuple<bool, Msg>> read_first(Stream& s, std::chrono::milliseconds timeout, bool& late) {
  // Both flags live on the call's strand, where the timer's handler runs too.
  auto arrived = std::make_shared<bool>(false);
  auto expired = std::make_shared<bool>(false);
  asio::steady_timer timer(co_await asio::this_coro::executor, timeout);
  timer.async_wait([arrived, expired, &ctx = s.context()](boost::system::error_code ec) {
    if (ec || *arrived) return;  // *arrived: the call may be over, ctx is not touched
    *expired = true;
    ctx.TryCancel();
  });
  auto first = co_await s.async_read(use_awaitable);
  *arrived = true;
  timer.cancel();
  late = *expired;
  co_return first;
}

// A refusal under the call caps: logged for the first and every 100th, so a
// flood cannot flood the log too; all are counted in /status.
void log_refusal(const char* rpc, const std::string& whom, const std::string& why, std::uint64_t count) {
  if (count == 1 || count % 100 == 0)
    log("warn", "{} from {} refused: RESOURCE_EXHAUSTED {} ({} refused so far)", rpc, whom, why, count);
}

template <class Fields>
void record_seen(AgentRecord& r, const Caller& caller, const Fields& f, std::int64_t now) {
  r.last_seen = now;
  r.partition = caller.identity.partition;
  if (!f.version().empty()) r.version = f.version();
  if (!f.hostname().empty()) r.hostname = f.hostname();
  if (!f.os().empty()) r.os = f.os();
  if (!f.arch().empty()) r.arch = f.arch();
}

}  // namespace

// What a ControlStream's push loop has to send: the newest config when one is
// due, then the queued commands in order. The wake channel has capacity 1:
// one pending wake-up is enough, the loop takes everything due when it runs.
struct GatewayService::ControlChannel {
  static constexpr std::size_t kMaxQueuedCommands = 64;

  explicit ControlChannel(const asio::any_io_executor& ex) : wake(ex, 1) {}

  void config_due() {
    {
      std::lock_guard lock(mu);
      config_pending = true;
    }
    wake.try_send(boost::system::error_code{});
  }
  bool queue_command(monitoring::CommandRequest command) {
    {
      std::lock_guard lock(mu);
      if (commands.size() >= kMaxQueuedCommands) return false;
      commands.push_back(std::move(command));
    }
    wake.try_send(boost::system::error_code{});
    return true;
  }
  struct Due {
    bool config = false;
    std::deque<monitoring::CommandRequest> commands;
  };
  Due take_due() {
    std::lock_guard lock(mu);
    Due due{std::exchange(config_pending, false), std::move(commands)};
    commands.clear();
    return due;
  }

  std::mutex mu;
  bool config_pending = false;
  std::deque<monitoring::CommandRequest> commands;
  asio::experimental::concurrent_channel<void(boost::system::error_code)> wake;
};

// A call's place under the caps: the gateway's, and its agent's once known.
class GatewayService::Admission {
 public:
  Admission() = default;
  explicit Admission(GatewayService* g) : g_(g) { ++g_->state_.calls().active; }
  Admission(Admission&& o) noexcept : g_(std::exchange(o.g_, nullptr)), agent_(std::move(o.agent_)) {}
  Admission& operator=(Admission&& o) noexcept {
    if (this != &o) {
      release();
      g_ = std::exchange(o.g_, nullptr);
      agent_ = std::move(o.agent_);
    }
    return *this;
  }
  ~Admission() { release(); }
  void counts_for(AgentKey key) { agent_ = std::move(key); }  // under calls_mu_
  bool admitted() const noexcept { return g_ != nullptr; }

 private:
  void release() {
    if (!g_) return;
    {
      std::lock_guard lock(g_->calls_mu_);
      --g_->calls_;
      if (agent_) {
        auto it = g_->agent_calls_.find(*agent_);
        if (it != g_->agent_calls_.end() && --it->second == 0) g_->agent_calls_.erase(it);
      }
    }
    --g_->state_.calls().active;
    g_ = nullptr;
  }

  GatewayService* g_ = nullptr;
  std::optional<AgentKey> agent_;
};

struct GatewayService::Admitted {
  Caller caller;  // status OK, or the refusal
  Admission slot;
};

struct GatewayService::Calls {
  static asio::awaitable<grpc::Status> hello(GatewayService* g, grpc::CallbackServerContext* ctx,
                                             const monitoring::AgentHelloRequest* req,
                                             monitoring::AgentHelloResponse* resp) {
    // gRPC has read the (size-bounded) request of a unary call before this runs.
    auto admitted = g->admit(*ctx, req->agent_id(), "Hello");
    const auto& caller = admitted.caller;
    if (!caller.status.ok()) co_return caller.status;
    const AgentKey key{caller.identity.tenant, caller.identity.agent_id};
    const auto now = unix_now();
    g->state_.update_agent(key, [&](AgentRecord& r) {
      record_seen(r, caller, *req, now);
      r.capabilities.assign(req->capabilities().begin(), req->capabilities().end());
      ++r.hellos;
    });
    const auto current = g->config_for(key);
    resp->set_accepted(true);
    resp->set_agent_id(key.agent_id);
    resp->set_message("welcome, tenant " + key.tenant);
    resp->set_gateway_id(g->options_.gateway_id);
    resp->set_server_time(now);
    resp->set_heartbeat_interval_sec(g->options_.heartbeat_interval_sec);
    resp->set_config_outdated(req->config_version() != current.config_version);
    log("info", "Hello from {}", who(caller));
    co_return grpc::Status::OK;
  }

  static asio::awaitable<grpc::Status> get_config(GatewayService* g,
                                                  grpc::CallbackServerContext* ctx,
                                                  const monitoring::AgentConfigRequest* req,
                                                  monitoring::AgentConfigResponse* resp) {
    // gRPC has read the (size-bounded) request of a unary call before this runs.
    auto admitted = g->admit(*ctx, req->agent_id(), "GetConfig");
    const auto& caller = admitted.caller;
    if (!caller.status.ok()) co_return caller.status;
    const AgentKey key{caller.identity.tenant, caller.identity.agent_id};
    g->fill_config(key, req->config_version(), *resp);
    g->state_.update_agent(key, [&](AgentRecord& r) {
      r.last_seen = unix_now();
      if (!resp->not_modified()) r.config_sent = resp->config_version();
    });
    co_return grpc::Status::OK;
  }

  static asio::awaitable<grpc::Status> push_status(GatewayService* g,
                                                   grpc::CallbackServerContext* ctx,
                                                   const monitoring::GatewayStatusRequest* req,
                                                   monitoring::GatewayStatusResponse* resp) {
    // gRPC has read the (size-bounded) request of a unary call before this runs.
    auto admitted = g->admit(*ctx, req->agent_id(), "PushStatus");
    const auto& caller = admitted.caller;
    if (!caller.status.ok()) co_return caller.status;
    for (const auto& svc : req->services()) {
      if (!svc.agent_id().empty() && svc.agent_id() != caller.identity.agent_id)
        co_return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "component_id mismatch");
    }
    const auto now = unix_now();
    g->state_.update_agent({caller.identity.tenant, caller.identity.agent_id},
                           [&](AgentRecord& r) {
                             record_seen(r, caller, *req, now);
                             ++r.pushes;
                           });
    for (const auto& svc : req->services()) {
      if (svc.service_type() != "sync" || svc.source() != "status") continue;
      auto reports = parse_sync_heartbeat(svc.message(), caller.identity.agent_id, now);
      if (!reports) {
        // The heartbeat itself is fine: only its sync report is unreadable.
        log("warn", "PushStatus from {}: {}", who(caller), reports.error());
        continue;
      }
      const AgentKey key{caller.identity.tenant, caller.identity.agent_id};
      if (const auto dropped = g->state_.sources_reported(key, std::move(*reports)); dropped > 0)
        g->sources_dropped(key, dropped);
    }
    resp->set_received(true);
    co_return grpc::Status::OK;
  }

  static asio::awaitable<grpc::Status> stream_status(GatewayService* g,
                                                     grpc_bridge::ServerReader<GatewayStatusChunk> in,
                                                     monitoring::GatewayStatusResponse* resp) {
    // The agent_id of each chunk is checked by the rules, against the certificate.
    auto admitted = g->admit(in.context(), {}, "StreamStatus");
    const auto& caller = admitted.caller;
    if (!caller.status.ok()) co_return caller.status;
    const auto& tenant = caller.identity.tenant;
    const AgentKey key{tenant, caller.identity.agent_id};
    StreamRules rules(caller.identity.agent_id, g->options_.limits);
    std::unique_ptr<TenantSink::Stream> out;
    if (g->sink_ && !(out = g->open_sink(tenant, caller.identity.agent_id)))
      co_return grpc::Status(grpc::StatusCode::INTERNAL, "the gateway cannot store streams now");
    const auto receipt = g->ingestor_ ? inventory::Ingestor::new_receipt() : nullptr;
    std::uint64_t devices = 0;
    asio::steady_timer pace(co_await asio::this_coro::executor);
    auto reject = [&](grpc::Status status) {
      if (out) g->abort_sink(*out);
      g->state_.stream_rejected(tenant, code_name(status.error_code()), status.error_message());
      g->state_.stream_ended(key, {unix_now(), code_name(status.error_code()),
                                  static_cast<std::uint64_t>(rules.chunks_seen()), devices});
      log("warn", "StreamStatus from {} rejected: {} {}", who(caller),
          code_name(status.error_code()), status.error_message());
      return status;
    };
    bool late = false;
    auto next = co_await read_first<GatewayStatusChunk>(in, g->options_.first_message_timeout, late);
    if (late) co_return reject(g->first_message_late("StreamStatus"));
    for (;; next = co_await in.async_read(use_awaitable)) {
      auto& [ok, chunk] = next;
      if (!ok) break;
      if (auto bad = rules.accept(chunk)) co_return reject(*bad);
      auto taken = g->take_chunk(out.get(), tenant, chunk);
      if (!taken.status.ok()) co_return reject(taken.status);
      devices += taken.devices;
      // Waits while the inventory's queue is full: this stream stops reading,
      // and gRPC's flow control slows the agent.
      taken.ingest.receipt = receipt;
      if (g->ingestor_ && !co_await g->ingestor_->push(std::move(taken.ingest)))
        co_return reject(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the gateway is stopping"));
      g->state_.chunk_received(tenant);
      if (g->options_.sink_delay.count() > 0) {
        pace.expires_after(g->options_.sink_delay);
        co_await pace.async_wait(use_awaitable);
      }
    }
    if (auto end = rules.finish(); !end.ok()) co_return reject(end);
    // Acknowledged only once stored: an agent told "received" may forget the run.
    if (g->ingestor_) {
      if (auto why = co_await g->ingestor_->committed(tenant, receipt); !why.empty()) {
        log("error", "inventory: stream from {} not stored: {}", who(caller), why);
        co_return reject(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                      "the gateway could not store the stream; send it again"));
      }
    }
    if (out)
      if (auto committed = g->commit_sink(*out); !committed.ok()) co_return reject(committed);
    g->state_.stream_accepted(tenant, devices);
    g->state_.stream_ended(key, {unix_now(), "accepted", static_cast<std::uint64_t>(rules.chunks_seen()), devices});
    log("info", "StreamStatus from {}: {} chunks, {} devices", who(caller), rules.chunks_seen(),
        devices);
    resp->set_received(true);
    co_return grpc::Status::OK;
  }

  using Bidi = grpc_bridge::ServerBidiStream<ControlStreamRequest, ControlStreamResponse>;

  static asio::awaitable<grpc::Status> control(GatewayService* g, Bidi s) {
    // Authenticated and admitted before any message is read.
    auto admitted = g->admit(s.context(), {}, "ControlStream");
    auto& caller = admitted.caller;
    if (!caller.status.ok()) co_return caller.status;
    bool late = false;
    auto [ok, first] = co_await read_first<ControlStreamRequest>(s, g->options_.first_message_timeout, late);
    if (late) {
      auto status = g->first_message_late("ControlStream");
      log("warn", "ControlStream from {} ended: {}", who(caller), status.error_message());
      co_return status;
    }
    if (!ok)
      co_return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "stream ended before its hello");
    if (!first.has_hello())
      co_return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                             "the first ControlStream message must be hello");
    if (auto denied = g->check_claim(caller, s.context(), first.hello().agent_id(), "ControlStream"); !denied.ok())
      co_return denied;
    const AgentKey key{caller.identity.tenant, caller.identity.agent_id};
    auto channel = g->open_channel(key);
    const auto& hello = first.hello();  // clang before 16 cannot capture a structured binding
    g->state_.update_agent(key, [&](AgentRecord& r) {
      record_seen(r, caller, hello, unix_now());
      r.control_stream_open = true;
    });
    if (first.hello().config_version() != g->config_for(key).config_version)
      channel->config_due();
    log("info", "ControlStream open for {}", who(caller));

    using namespace asio::experimental::awaitable_operators;
    auto ended = co_await (read_answers(g, s, key) || push_due(g, s, key, channel));
    g->close_channel(key, channel);
    g->state_.update_agent(key, [](AgentRecord& r) { r.control_stream_open = false; });
    co_return ended.index() == 0 ? std::get<0>(ended) : std::get<1>(ended);
  }

  static asio::awaitable<grpc::Status> read_answers(GatewayService* g, Bidi& s, AgentKey key) {
    for (;;) {
      auto [ok, msg] = co_await s.async_read(use_awaitable);
      if (!ok) co_return grpc::Status::OK;
      if (msg.has_hello())
        co_return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "hello sent twice");
      if (msg.has_config_ack()) {
        const auto& acked = msg.config_ack().config_version();  // (a binding cannot be captured before clang 16)
        g->state_.update_agent(key, [&](AgentRecord& r) {
          r.config_acked = acked;
          r.last_seen = unix_now();
        });
        log("info", "config {} acknowledged by agent '{}' (tenant '{}')",
            msg.config_ack().config_version(), key.agent_id, key.tenant);
      } else if (msg.has_command_ack()) {
        const auto& ack = msg.command_ack();
        g->state_.record_command(key, {ack.command_id(), ack.command_type(), "acked", false, ""});
        log("info", "command {} ({}) acknowledged by agent '{}' (tenant '{}')", ack.command_id(),
            ack.command_type(), key.agent_id, key.tenant);
      } else if (msg.has_command_result()) {
        const auto& r = msg.command_result();
        g->state_.record_command(
            key, {r.command_id(), r.command_type(), "done", r.success(), r.message()});
        log("info", "command {} ({}) on agent '{}' (tenant '{}'): {} {}", r.command_id(),
            r.command_type(), key.agent_id, key.tenant, r.success() ? "succeeded" : "failed",
            r.message());
      }
    }
  }

  static asio::awaitable<grpc::Status> push_due(GatewayService* g, Bidi& s, AgentKey key,
                                                std::shared_ptr<ControlChannel> channel) {
    for (;;) {
      auto [ec] = co_await channel->wake.async_receive(asio::as_tuple(use_awaitable));
      if (ec) co_return grpc::Status::OK;
      auto due = channel->take_due();
      if (due.config && !co_await push_config(g, s, key))
        co_return grpc::Status(grpc::StatusCode::UNAVAILABLE, "control stream write failed");
      for (auto& command : due.commands) {
        CommandRecord record{command.command_id(), command.command_type(), "sent", false, ""};
        ControlStreamResponse push;
        *push.mutable_command() = std::move(command);
        if (!co_await s.async_write(std::move(push), use_awaitable))
          co_return grpc::Status(grpc::StatusCode::UNAVAILABLE, "control stream write failed");
        log("info", "command {} ({}) sent to agent '{}' (tenant '{}')", record.id, record.type,
            key.agent_id, key.tenant);
        g->state_.record_command(key, std::move(record));
      }
    }
  }

  static asio::awaitable<bool> push_config(GatewayService* g, Bidi& s, const AgentKey& key) {
    ControlStreamResponse push;
    g->fill_config(key, {}, *push.mutable_config());
    const std::string version = push.config().config_version();
    if (!co_await s.async_write(std::move(push), use_awaitable)) co_return false;
    g->state_.update_agent(key, [&](AgentRecord& r) { r.config_sent = version; });
    log("info", "config {} pushed to agent '{}' (tenant '{}')", version, key.agent_id, key.tenant);
    co_return true;
  }
};

GatewayService::GatewayService(asio::any_io_executor ex, GatewayOptions options,
                               const ClientVerifier& verifier, ConfigStore& store,
                               TenantSink* sink, GatewayState& state)
    : ex_(std::move(ex)),
      options_(std::move(options)),
      verifier_(verifier),
      store_(store),
      sink_(sink),
      state_(state) {}

GatewayService::~GatewayService() = default;

Caller GatewayService::authenticate(const grpc::CallbackServerContext& ctx,
                                    const std::string& claimed_agent_id, const char* rpc) {
  auto caller = verifier_.verify(peer_chain_pem(ctx), unix_now());
  if (caller.status.ok()) {
    caller.status = check_claim(caller, ctx, claimed_agent_id, rpc);
  } else {
    log("warn", "{} from {} ({}) rejected: {} {}", rpc, who(caller), ctx.peer(),
        code_name(caller.status.error_code()), caller.status.error_message());
  }
  return caller;
}

grpc::Status GatewayService::check_claim(const Caller& caller, const grpc::CallbackServerContext& ctx,
                                         const std::string& claimed_agent_id, const char* rpc) {
  if (claimed_agent_id.empty() || claimed_agent_id == caller.identity.agent_id) return grpc::Status::OK;
  grpc::Status denied(grpc::StatusCode::PERMISSION_DENIED, "component_id mismatch");
  log("warn", "{} from {} ({}) rejected: {} {}", rpc, who(caller), ctx.peer(),
      code_name(denied.error_code()), denied.error_message());
  return denied;
}

GatewayService::Admitted GatewayService::admit(const grpc::CallbackServerContext& ctx,
                                               const std::string& claimed_agent_id, const char* rpc) {
  auto& counters = state_.calls();
  ++counters.started;
  Admitted a;
  {
    std::lock_guard lock(calls_mu_);
    if (calls_ < options_.max_calls) {
      ++calls_;
      a.slot = Admission(this);
    }
  }
  if (!a.slot.admitted()) {
    const auto why = fmt::format("the gateway is at its limit of {} concurrent calls", options_.max_calls);
    log_refusal(rpc, ctx.peer(), why, ++counters.refused_gateway);
    a.caller.status = grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, why);
    return a;
  }
  a.caller = authenticate(ctx, claimed_agent_id, rpc);
  if (!a.caller.status.ok()) return a;
  AgentKey key{a.caller.identity.tenant, a.caller.identity.agent_id};
  bool room = false;
  {
    std::lock_guard lock(calls_mu_);
    auto& n = agent_calls_[key];
    if ((room = n < options_.max_calls_per_agent)) {
      ++n;
      a.slot.counts_for(std::move(key));
    } else if (n == 0) {
      agent_calls_.erase(key);  // a cap of 0: leave no empty entry behind
    }
  }
  if (!room) {
    const auto why = fmt::format("agent '{}' is at its limit of {} concurrent calls",
                                 a.caller.identity.agent_id, options_.max_calls_per_agent);
    log_refusal(rpc, who(a.caller), why, ++counters.refused_agent);
    a.caller.status = grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, why);
  }
  return a;
}

grpc::Status GatewayService::first_message_late(const char* rpc) {
  ++state_.calls().hello_timeouts;
  return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                      fmt::format("no first {} message within {} ms", rpc, options_.first_message_timeout.count()));
}

void GatewayService::sources_dropped(const AgentKey& key, std::size_t dropped) {
  // Logged once per agent (and gateway run); /status counts every drop.
  {
    std::lock_guard lock(calls_mu_);
    if (!sources_cap_logged_.insert(key).second) return;
  }
  log("warn",
      "PushStatus from agent '{}' (tenant '{}'): heartbeat names more than {} sources; {} dropped "
      "(counted in /status as sources_dropped; logged once per agent)",
      key.agent_id, key.tenant, GatewayState::kMaxSourcesPerAgent, dropped);
}

AgentConfig GatewayService::config_for(const AgentKey& key) {
  std::lock_guard lock(store_mu_);
  return store_.config_for(key.tenant, key.agent_id);
}

void GatewayService::fill_config(const AgentKey& key, const std::string& agent_version,
                                 monitoring::AgentConfigResponse& resp) {
  auto config = config_for(key);
  resp.set_config_version(config.config_version);
  resp.set_heartbeat_interval_sec(options_.heartbeat_interval_sec);
  resp.set_config_poll_interval_sec(options_.config_poll_interval_sec);
  resp.set_config_timestamp(config.config_timestamp);
  if (!agent_version.empty() && agent_version == config.config_version) {
    resp.set_not_modified(true);
    return;
  }
  resp.set_config_json(std::move(config.config_json));
}

std::vector<std::string> GatewayService::reload_store() {
  std::vector<std::string> changed;
  {
    std::lock_guard lock(store_mu_);
    changed = store_.reload();
  }
  if (changed.empty()) return changed;
  std::lock_guard lock(channels_mu_);
  for (const auto& [key, channel] : channels_) {
    if (std::find(changed.begin(), changed.end(), key.tenant) != changed.end())
      channel->config_due();
  }
  return changed;
}

void GatewayService::with_store(const std::function<void(ConfigStore&)>& f) {
  std::lock_guard lock(store_mu_);
  f(store_);
}

GatewayService::CommandQueued GatewayService::send_command(const AgentKey& key,
                                                           monitoring::CommandRequest command) {
  std::lock_guard lock(channels_mu_);
  auto [first, last] = channels_.equal_range(key);
  if (first == last) return CommandQueued::no_stream;
  // The newest stream of this agent: an older one is about to end.
  auto& channel = std::prev(last)->second;
  // Recorded before queueing: the push loop may send it (and record "sent") at once.
  CommandRecord record{command.command_id(), command.command_type(), "queued", false, ""};
  state_.record_command(key, record);
  if (!channel->queue_command(std::move(command))) {
    record.state = "refused";
    record.message = "too many commands queued";
    state_.record_command(key, std::move(record));
    return CommandQueued::queue_full;
  }
  return CommandQueued::yes;
}

std::unique_ptr<TenantSink::Stream> GatewayService::open_sink(const std::string& tenant,
                                                             const std::string& agent_id) {
  auto stream = sink_->open(tenant, agent_id);
  if (!stream) {
    log("error", "{}", stream.error());
    return nullptr;
  }
  return std::move(*stream);
}

GatewayService::Taken GatewayService::take_chunk(TenantSink::Stream* out, const std::string& tenant,
                                                 const GatewayStatusChunk& chunk) {
  Taken taken;
  taken.ingest.tenant = tenant;
  for (const auto& svc : chunk.services()) {
    if (!carries_sync_results(svc.service_type(), svc.service_name())) continue;
    auto devices = parse_devices(svc.message(), chunk.chunk_index());
    if (!devices) {
      taken.status = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, devices.error());
      return taken;
    }
    if (out) {
      if (auto error = out->append(*devices); !error.empty()) {
        log("error", "{}", error);
        taken.status = grpc::Status(grpc::StatusCode::INTERNAL, "the gateway could not store the chunk");
        return taken;
      }
    }
    taken.devices += devices->size();
    if (ingestor_) {
      for (std::size_t i = 0; i < devices->size(); ++i) {
        std::string error;
        if (auto d = inventory::incoming_device((*devices)[i], error))
          taken.ingest.devices.push_back(std::move(*d));
      }
    }
  }
  return taken;
}

grpc::Status GatewayService::commit_sink(TenantSink::Stream& out) {
  if (auto error = out.commit(); !error.empty()) {
    log("error", "{}", error);
    return grpc::Status(grpc::StatusCode::INTERNAL, "the gateway could not store the stream");
  }
  return grpc::Status::OK;
}

void GatewayService::abort_sink(TenantSink::Stream& out) {
  out.abort();
}

std::shared_ptr<GatewayService::ControlChannel> GatewayService::open_channel(const AgentKey& key) {
  auto channel = std::make_shared<ControlChannel>(ex_);
  std::lock_guard lock(channels_mu_);
  channels_.emplace(key, channel);
  return channel;
}

void GatewayService::close_channel(const AgentKey& key,
                                   const std::shared_ptr<ControlChannel>& channel) {
  std::lock_guard lock(channels_mu_);
  auto [first, last] = channels_.equal_range(key);
  for (auto it = first; it != last; ++it) {
    if (it->second == channel) {
      channels_.erase(it);
      return;
    }
  }
}

grpc::ServerUnaryReactor* GatewayService::Hello(grpc::CallbackServerContext* ctx,
                                                const monitoring::AgentHelloRequest* req,
                                                monitoring::AgentHelloResponse* resp) {
  return grpc_bridge::serve_unary(ctx, ex_, Calls::hello(this, ctx, req, resp));
}

grpc::ServerUnaryReactor* GatewayService::GetConfig(grpc::CallbackServerContext* ctx,
                                                    const monitoring::AgentConfigRequest* req,
                                                    monitoring::AgentConfigResponse* resp) {
  return grpc_bridge::serve_unary(ctx, ex_, Calls::get_config(this, ctx, req, resp));
}

grpc::ServerUnaryReactor* GatewayService::PushStatus(grpc::CallbackServerContext* ctx,
                                                     const monitoring::GatewayStatusRequest* req,
                                                     monitoring::GatewayStatusResponse* resp) {
  return grpc_bridge::serve_unary(ctx, ex_, Calls::push_status(this, ctx, req, resp));
}

grpc::ServerReadReactor<GatewayStatusChunk>* GatewayService::StreamStatus(
    grpc::CallbackServerContext* ctx, monitoring::GatewayStatusResponse* resp) {
  return grpc_bridge::serve_client_stream<GatewayStatusChunk>(
      ctx, ex_, [this, resp](auto in) { return Calls::stream_status(this, std::move(in), resp); });
}

grpc::ServerBidiReactor<ControlStreamRequest, ControlStreamResponse>*
GatewayService::ControlStream(grpc::CallbackServerContext* ctx) {
  return grpc_bridge::serve_bidi<ControlStreamRequest, ControlStreamResponse>(
      ctx, ex_, [this](auto s) { return Calls::control(this, std::move(s)); });
}

}  // namespace sr::gateway
