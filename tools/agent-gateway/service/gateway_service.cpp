#include "tools/agent-gateway/service/gateway_service.hpp"

#include "base/log/logger.hpp"
#include "net/grpc_bridge/server_bidi.hpp"
#include "net/grpc_bridge/server_reader.hpp"
#include "net/grpc_bridge/server_unary.hpp"
#include "tools/agent-gateway/service/call_log.hpp"
#include "tools/agent-gateway/status/heartbeat_report.hpp"
#include "base/clock.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <memory>
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

template <class Fields>
void record_seen(AgentRecord& r, const Caller& caller, const Fields& f, std::int64_t now) {
  r.last_seen = now;
  r.partition = caller.identity.partition;
  if (!f.version().empty()) r.version = f.version();
  if (!f.hostname().empty()) r.hostname = f.hostname();
  if (!f.os().empty()) r.os = f.os();
  if (!f.arch().empty()) r.arch = f.arch();
}

AgentKey key_of(const Caller& caller) { return {caller.identity.tenant, caller.identity.agent_id}; }

grpc::Status write_failed() {
  return grpc::Status(grpc::StatusCode::UNAVAILABLE, "control stream write failed");
}

}  // namespace

struct GatewayService::Calls {
  static asio::awaitable<grpc::Status> hello(GatewayService* g, grpc::CallbackServerContext* ctx,
                                             const monitoring::AgentHelloRequest* req,
                                             monitoring::AgentHelloResponse* resp) {
    // gRPC has read the (size-bounded) request of a unary call before this runs.
    auto admitted = g->admission_.admit(*ctx, req->agent_id(), "Hello");
    const auto& caller = admitted.caller;
    if (!caller.status.ok()) co_return caller.status;
    const AgentKey key = key_of(caller);
    const auto now = base::unix_now();
    g->state_.update_agent(key, [&](AgentRecord& r) {
      record_seen(r, caller, *req, now);
      r.capabilities.assign(req->capabilities().begin(), req->capabilities().end());
      ++r.hellos;
    });
    const auto current = g->hub_.config_for(key);
    resp->set_accepted(true);
    resp->set_agent_id(key.agent_id);
    resp->set_message("welcome, tenant " + key.tenant);
    resp->set_gateway_id(g->options_.gateway_id);
    resp->set_server_time(now);
    resp->set_heartbeat_interval_sec(g->options_.intervals.heartbeat_interval_sec);
    resp->set_config_outdated(req->config_version() != current.config_version);
    log::info({}, fmt::format("Hello from {}", who(caller)));
    co_return grpc::Status::OK;
  }

  static asio::awaitable<grpc::Status> get_config(GatewayService* g, grpc::CallbackServerContext* ctx,
                                                  const monitoring::AgentConfigRequest* req,
                                                  monitoring::AgentConfigResponse* resp) {
    // gRPC has read the (size-bounded) request of a unary call before this runs.
    auto admitted = g->admission_.admit(*ctx, req->agent_id(), "GetConfig");
    const auto& caller = admitted.caller;
    if (!caller.status.ok()) co_return caller.status;
    const AgentKey key = key_of(caller);
    g->hub_.fill_config(key, req->config_version(), *resp);
    g->state_.update_agent(key, [&](AgentRecord& r) {
      r.last_seen = base::unix_now();
      if (!resp->not_modified()) r.config_sent = resp->config_version();
    });
    co_return grpc::Status::OK;
  }

  static asio::awaitable<grpc::Status> push_status(GatewayService* g, grpc::CallbackServerContext* ctx,
                                                   const monitoring::GatewayStatusRequest* req,
                                                   monitoring::GatewayStatusResponse* resp) {
    // gRPC has read the (size-bounded) request of a unary call before this runs.
    auto admitted = g->admission_.admit(*ctx, req->agent_id(), "PushStatus");
    const auto& caller = admitted.caller;
    if (!caller.status.ok()) co_return caller.status;
    for (const auto& svc : req->services()) {
      if (!svc.agent_id().empty() && svc.agent_id() != caller.identity.agent_id)
        co_return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "component_id mismatch");
    }
    const auto now = base::unix_now();
    g->state_.update_agent(key_of(caller), [&](AgentRecord& r) {
      record_seen(r, caller, *req, now);
      ++r.pushes;
    });
    for (const auto& svc : req->services()) {
      if (svc.service_type() == "sync" && svc.source() == "status") sync_heartbeat(g, caller, svc, now);
    }
    resp->set_received(true);
    co_return grpc::Status::OK;
  }

  static void sync_heartbeat(GatewayService* g, const Caller& caller, const monitoring::GatewayServiceStatus& svc,
                             std::int64_t now) {
    auto reports = parse_sync_heartbeat(svc.message(), caller.identity.agent_id, now);
    if (!reports) {
      // The heartbeat itself is fine: only its sync report is unreadable.
      log::warn({}, fmt::format("PushStatus from {}: {}", who(caller), reports.error()));
      return;
    }
    const AgentKey key = key_of(caller);
    if (const auto dropped = g->state_.sources_reported(key, std::move(*reports)); dropped > 0)
      g->sources_dropped(key, dropped);
  }

  static asio::awaitable<grpc::Status> stream_status(GatewayService* g,
                                                     grpc_bridge::ServerReader<GatewayStatusChunk> in,
                                                     monitoring::GatewayStatusResponse* resp) {
    // The agent_id of each chunk is checked by the rules, against the certificate.
    auto admitted = g->admission_.admit(in.context(), {}, "StreamStatus");
    const auto& caller = admitted.caller;
    if (!caller.status.ok()) co_return caller.status;
    auto stream = g->intake_.open(key_of(caller), who(caller), co_await asio::this_coro::executor);
    if (!stream) co_return grpc::Status(grpc::StatusCode::INTERNAL, "the gateway cannot store streams now");
    bool late = false;
    auto next = co_await read_first<GatewayStatusChunk>(in, g->options_.first_message_timeout, late);
    if (late) co_return stream->reject(g->first_message_late("StreamStatus"));
    for (;; next = co_await in.async_read(use_awaitable)) {
      auto& [ok, chunk] = next;
      if (!ok) break;
      if (auto taken = co_await stream->take(chunk); !taken.ok()) co_return stream->reject(std::move(taken));
    }
    if (auto end = co_await stream->finish(); !end.ok()) co_return stream->reject(std::move(end));
    resp->set_received(true);
    co_return grpc::Status::OK;
  }

  using Bidi = grpc_bridge::ServerBidiStream<ControlStreamRequest, ControlStreamResponse>;

  static asio::awaitable<grpc::Status> control(GatewayService* g, Bidi s) {
    // Authenticated and admitted before any message is read.
    auto admitted = g->admission_.admit(s.context(), {}, "ControlStream");
    auto& caller = admitted.caller;
    if (!caller.status.ok()) co_return caller.status;
    bool late = false;
    auto [ok, first] = co_await read_first<ControlStreamRequest>(s, g->options_.first_message_timeout, late);
    if (late) {
      auto status = g->first_message_late("ControlStream");
      log::warn({}, fmt::format("ControlStream from {} ended: {}", who(caller), status.error_message()));
      co_return status;
    }
    if (!ok) co_return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "stream ended before its hello");
    if (!first.has_hello())
      co_return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "the first ControlStream message must be hello");
    if (auto denied = g->admission_.check_claim(caller, s.context(), first.hello().agent_id(), "ControlStream");
        !denied.ok())
      co_return denied;
    co_return co_await open_control(g, s, caller, first.hello());
  }

  // The stream after its hello: registered with the hub until the agent or a write ends it.
  static asio::awaitable<grpc::Status> open_control(GatewayService* g, Bidi& s, const Caller& caller,
                                                    const monitoring::ControlStreamHello& hello) {
    const AgentKey key = key_of(caller);
    auto channel = g->hub_.open_channel(key);
    g->state_.update_agent(key, [&](AgentRecord& r) {
      record_seen(r, caller, hello, base::unix_now());
      r.control_stream_open = true;
    });
    if (hello.config_version() != g->hub_.config_for(key).config_version) channel->config_due();
    log::info({}, fmt::format("ControlStream open for {}", who(caller)));

    using namespace asio::experimental::awaitable_operators;
    auto ended = co_await (read_answers(g, s, key) || push_due(g, s, key, channel));
    g->hub_.close_channel(key, channel);
    g->state_.update_agent(key, [](AgentRecord& r) { r.control_stream_open = false; });
    co_return ended.index() == 0 ? std::get<0>(ended) : std::get<1>(ended);
  }

  static asio::awaitable<grpc::Status> read_answers(GatewayService* g, Bidi& s, AgentKey key) {
    for (;;) {
      auto [ok, msg] = co_await s.async_read(use_awaitable);
      if (!ok) co_return grpc::Status::OK;
      if (msg.has_hello()) co_return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "hello sent twice");
      g->hub_.answered(key, msg);
    }
  }

  static asio::awaitable<grpc::Status> push_due(GatewayService* g, Bidi& s, AgentKey key,
                                                std::shared_ptr<ControlChannel> channel) {
    for (;;) {
      auto [ec] = co_await channel->wake.async_receive(asio::as_tuple(use_awaitable));
      if (ec) co_return grpc::Status::OK;
      auto due = channel->take_due();
      if (due.config && !co_await push_config(g, s, key)) co_return write_failed();
      for (auto& command : due.commands) {
        CommandRecord record{command.command_id(), command.command_type(), "sent", false, ""};
        ControlStreamResponse push;
        *push.mutable_command() = std::move(command);
        if (!co_await s.async_write(std::move(push), use_awaitable)) co_return write_failed();
        g->hub_.command_sent(key, std::move(record));
      }
    }
  }

  static asio::awaitable<bool> push_config(GatewayService* g, Bidi& s, const AgentKey& key) {
    ControlStreamResponse push;
    g->hub_.fill_config(key, {}, *push.mutable_config());
    const std::string version = push.config().config_version();
    if (!co_await s.async_write(std::move(push), use_awaitable)) co_return false;
    g->hub_.config_pushed(key, version);
    co_return true;
  }
};

GatewayService::GatewayService(asio::any_io_executor ex, GatewayOptions options, const ClientVerifier& verifier,
                               ControlHub& hub, ChunkIntake& intake, GatewayState& state)
    : ex_(std::move(ex)),
      options_(std::move(options)),
      admission_(verifier, state, options_.calls),
      hub_(hub),
      intake_(intake),
      state_(state) {}

GatewayService::~GatewayService() = default;

grpc::Status GatewayService::first_message_late(const char* rpc) {
  ++state_.calls().hello_timeouts;
  return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                      fmt::format("no first {} message within {} ms", rpc, options_.first_message_timeout.count()));
}

void GatewayService::sources_dropped(const AgentKey& key, std::size_t dropped) {
  // Logged once per agent (and gateway run); /status counts every drop.
  {
    std::lock_guard lock(logged_mu_);
    if (!sources_cap_logged_.insert(key).second) return;
  }
  log::warn({}, fmt::format("PushStatus from agent '{}' (tenant '{}'): heartbeat names more than {} sources; {} "
                            "dropped (counted in /status as sources_dropped; logged once per agent)",
                            key.agent_id, key.tenant, GatewayState::kMaxSourcesPerAgent, dropped));
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

grpc::ServerReadReactor<GatewayStatusChunk>* GatewayService::StreamStatus(grpc::CallbackServerContext* ctx,
                                                                           monitoring::GatewayStatusResponse* resp) {
  return grpc_bridge::serve_client_stream<GatewayStatusChunk>(
      ctx, ex_, [this, resp](auto in) { return Calls::stream_status(this, std::move(in), resp); });
}

grpc::ServerBidiReactor<ControlStreamRequest, ControlStreamResponse>* GatewayService::ControlStream(
    grpc::CallbackServerContext* ctx) {
  return grpc_bridge::serve_bidi<ControlStreamRequest, ControlStreamResponse>(
      ctx, ex_, [this](auto s) { return Calls::control(this, std::move(s)); });
}

}  // namespace sr::gateway
