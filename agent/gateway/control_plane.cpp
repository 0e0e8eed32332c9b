#include "agent/gateway/control_plane.hpp"
#include "agent/gateway/channel.hpp"

#include "base/backoff.hpp"
#include "base/clock.hpp"
#include "base/ids.hpp"
#include "base/log/logger.hpp"
#include "base/prometheus_text.hpp"
#include "monitoring.grpc.pb.h"
#include "net/grpc_bridge/client_bidi.hpp"
#include "net/grpc_bridge/client_unary.hpp"
#include "net/grpc_bridge/release_thread.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/core.h>


namespace sr::agent {

namespace asio = boost::asio;
using asio::use_awaitable;
using grpc_bridge::CallOptions;
using Stub = monitoring::AgentGatewayService::Stub;
using namespace std::chrono_literals;

namespace {

constexpr auto kHelloTimeout = 10s;
constexpr auto kRpcTimeout = 30s;
constexpr auto kDefaultPoll = 60s;
constexpr auto kMaxPoll = 5min;  // never poll less often than this
constexpr auto kControlStreamLife = 24h;  // reopened after; a deadline on every call

std::string describe(const grpc::Status& s) {
  return fmt::format("{} ({})", s.error_message(), static_cast<int>(s.error_code()));
}

std::chrono::milliseconds clamp_poll(std::int32_t seconds, std::chrono::milliseconds floor) {
  if (seconds <= 0) return kDefaultPoll;
  auto d = std::chrono::milliseconds(std::chrono::seconds(seconds));
  return std::clamp(d, floor, std::chrono::milliseconds(kMaxPoll));
}

}  // namespace

ControlPlane::ControlPlane(asio::any_io_executor ex, BootstrapConfig config, const MessageIdentity& messages,
                           ConfigApplier& configs, ReconnectBackoff backoff, ControlHooks hooks)
    : ex_(std::move(ex)),
      config_(std::move(config)),
      restart_(ex_),
      messages_(messages),
      configs_(configs),
      backoff_(backoff),
      hooks_(std::move(hooks)) {}

ControlPlane::~ControlPlane() = default;

void ControlPlane::count_rpc(const char* method, const grpc::Status& status) {
  std::lock_guard lock(mu_);
  ++rpcs_[{method, static_cast<int>(status.error_code())}];
}

std::string ControlPlane::metrics_text() const {
  using base::prometheus::Type;
  base::prometheus::Writer w;
  w.single("serviceradar_agent_enrolled", Type::gauge, "1 while enrolled with the gateway.", enrolled_.load());
  w.single("serviceradar_agent_ready", Type::gauge, "1 while enrolled and a config is applied.", ready());
  w.single("serviceradar_agent_sync_runtime_enabled", Type::gauge,
           "0 when sync_runtime_enabled is false: no source runs.", configs_.sync_enabled());
  w.family("serviceradar_agent_config_info", Type::gauge, "The config version applied last.")
      .sample({{"version", config_version()}}, 1);
  w.single("serviceradar_agent_reconnects_total", Type::counter, "Sessions with the gateway that ended.",
           reconnects_.load());
  w.single("serviceradar_agent_tls_material_errors_total", Type::counter,
           "Connection attempts refused because the CA, certificate or key file could not be used.",
           tls_material_errors_.load());
  w.family("serviceradar_agent_rpc_total", Type::counter, "RPCs to the gateway by method and status code.");
  std::lock_guard lock(mu_);
  for (const auto& [key, n] : rpcs_) w.sample({{"method", key.first}, {"code", std::to_string(key.second)}}, n);
  return w.take();
}

// One connection's worth of work; members live as long as the session.
struct ControlPlane::Session {
  ControlPlane& cp;
  std::shared_ptr<Stub> stub;
  std::int32_t heartbeat_sec = 30;
  std::chrono::milliseconds poll;

  template <class Response, class Request, class Start>
  asio::awaitable<std::tuple<grpc::Status, Response>> unary(const char* method, Start start,
                                                             Request req,
                                                             std::chrono::seconds timeout) {
    auto result = co_await grpc_bridge::async_unary<Response>(
        co_await asio::this_coro::executor, std::move(start), std::move(req),
        CallOptions::timeout(timeout), use_awaitable);
    cp.count_rpc(method, std::get<0>(result));
    co_return result;
  }

  asio::awaitable<std::string> get_config(ConfigOrigin how) {
    auto req = cp.messages_.config_request(cp.config_version());
    auto [status, resp] = co_await unary<monitoring::AgentConfigResponse>("GetConfig",
        [s = stub.get()](auto* c, auto* q, auto* r, auto d) { s->async()->GetConfig(c, q, r, std::move(d)); }, std::move(req), kRpcTimeout);
    if (!status.ok()) co_return "GetConfig failed: " + describe(status);
    if (resp.heartbeat_interval_sec() > 0) heartbeat_sec = resp.heartbeat_interval_sec();
    poll = clamp_poll(resp.config_poll_interval_sec(), cp.config_.min_poll_interval);
    if (!resp.not_modified()) cp.configs_.apply_config(resp.config_version(), resp.config_json(), how);
    co_return std::string();
  }

  asio::awaitable<std::string> poll_loop() {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (;;) {
      timer.expires_after(poll);
      co_await timer.async_wait(use_awaitable);
      if (auto why = co_await get_config(ConfigOrigin::poll); !why.empty()) co_return why;
    }
  }

  asio::awaitable<std::string> heartbeat_loop() {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (;;) {
      timer.expires_after(std::chrono::seconds(heartbeat_sec));
      co_await timer.async_wait(use_awaitable);
      const std::string sources = cp.hooks_.status_json ? cp.hooks_.status_json() : R"({"sources":{}})";
      auto req = cp.messages_.heartbeat(
          heartbeat_message(cp.config_version(), cp.configs_.sync_enabled(), sources));
      auto [status, resp] = co_await unary<monitoring::GatewayStatusResponse>("PushStatus",
          [s = stub.get()](auto* c, auto* q, auto* r, auto d) { s->async()->PushStatus(c, q, r, std::move(d)); }, std::move(req), kRpcTimeout);
      if (!status.ok()) co_return "PushStatus failed: " + describe(status);
    }
  }

  using Control = grpc_bridge::ClientBidiStream<monitoring::ControlStreamRequest,
                                                monitoring::ControlStreamResponse>;

  asio::awaitable<std::string> control_loop() {
    auto* s = stub.get();
    auto stream = Control::start(co_await asio::this_coro::executor,
                                 CallOptions::timeout(kControlStreamLife),
                                 [s](auto* ctx, auto* reactor) { s->async()->ControlStream(ctx, reactor); });
    auto hello = cp.messages_.stream_hello(cp.config_version());
    if (!co_await stream.async_write(std::move(hello), use_awaitable))
      co_return "ControlStream: " + describe(co_await stream.async_finish(use_awaitable));
    for (;;) {
      auto [ok, msg] = co_await stream.async_read(use_awaitable);
      if (!ok) {
        auto end = co_await stream.async_finish(use_awaitable);
        cp.count_rpc("ControlStream", end);
        co_return "ControlStream ended: " + describe(end);
      }
      monitoring::ControlStreamRequest answer;
      if (msg.has_config()) {
        const auto& cfg = msg.config();
        if (!cfg.not_modified())
          cp.configs_.apply_config(cfg.config_version(), cfg.config_json(), ConfigOrigin::pushed);
        answer.mutable_config_ack()->set_config_version(cfg.config_version());
        answer.mutable_config_ack()->set_timestamp(base::unix_now());
      } else if (msg.has_command()) {
        co_await answer_command(stream, msg.command());
        continue;
      } else {
        continue;
      }
      if (!co_await stream.async_write(std::move(answer), use_awaitable))
        co_return "ControlStream: " + describe(co_await stream.async_finish(use_awaitable));
    }
  }

  asio::awaitable<void> answer_command(Control& stream, const monitoring::CommandRequest& cmd) {
    monitoring::ControlStreamRequest ack;
    ack.mutable_command_ack()->set_command_id(cmd.command_id());
    ack.mutable_command_ack()->set_command_type(cmd.command_type());
    ack.mutable_command_ack()->set_timestamp(base::unix_now());
    co_await stream.async_write(std::move(ack), use_awaitable);
    const bool expired = cmd.ttl_seconds() > 0 && cmd.created_at() + cmd.ttl_seconds() < base::unix_now();
    monitoring::ControlStreamRequest result;
    auto* r = result.mutable_command_result();
    r->set_command_id(cmd.command_id());
    r->set_command_type(cmd.command_type());
    r->set_success(false);
    r->set_message(expired ? "command expired" : "unsupported command");
    r->set_timestamp(base::unix_now());
    log::warn("control", fmt::format("command {} ({}): {}", cmd.command_id(), cmd.command_type(),
                                     r->message()));
    co_await stream.async_write(std::move(result), use_awaitable);
  }
};

asio::awaitable<std::string> ControlPlane::session() {
  auto channel = make_channel(config_);
  if (!channel) {
    ++tls_material_errors_;
    co_return "TLS material unusable: " + channel.error();
  }
  // Destroyed off the pool: a channel's destructor can block (release_thread.hpp).
  Session s{*this, net::grpc_bridge::released_off_loop(monitoring::AgentGatewayService::NewStub(std::move(*channel))),
            30, kDefaultPoll};
  // The sender uses this session's channel; it hears when the session ends.
  struct LinkGuard {
    ControlPlane& cp;
    bool up = false;
    ~LinkGuard() {
      if (up && cp.hooks_.session) cp.hooks_.session(nullptr, "");
    }
  } link{*this};
  auto hello = messages_.hello(config_version());
  auto [status, resp] = co_await s.unary<monitoring::AgentHelloResponse>("Hello",
      [st = s.stub.get()](auto* c, auto* q, auto* r, auto d) { st->async()->Hello(c, q, r, std::move(d)); }, std::move(hello), kHelloTimeout);
  if (!status.ok()) co_return "Hello failed: " + describe(status);
  if (!resp.accepted()) co_return "Hello not accepted: " + resp.message();
  enrolled_ = true;
  log::info("control", fmt::format("enrolled with gateway {} as {} (tenant {}): {}",
                                   resp.gateway_id(), messages_.identity().agent_id,
                                   messages_.identity().tenant.empty() ? "default" : messages_.identity().tenant,
                                   resp.message()));
  if (resp.heartbeat_interval_sec() > 0) s.heartbeat_sec = resp.heartbeat_interval_sec();
  if (hooks_.session) {
    hooks_.session(s.stub, resp.gateway_id());
    link.up = true;
  }
  if (resp.config_outdated() || config_version().empty()) {
    if (auto why = co_await s.get_config(ConfigOrigin::enrolment); !why.empty()) co_return why;
  }
  using namespace asio::experimental::awaitable_operators;
  auto ended = co_await (s.poll_loop() || s.heartbeat_loop() || s.control_loop());
  co_return std::visit([](auto& why) { return why; }, ended);
}

void ControlPlane::reconfigure(BootstrapConfig config) {
  asio::post(ex_, [this, config = std::move(config)]() mutable {
    // Startup warns about plaintext; a reload that switches to it must too.
    if (config.allow_insecure && !config_.allow_insecure)
      log::warn("control", "allow_insecure turned on by a reload: the next connection to the gateway is "
                           "PLAINTEXT, without identity (testing only)");
    else if (!config.allow_insecure && config_.allow_insecure)
      log::info("control", "allow_insecure turned off by a reload: mTLS from the next connection");
    config_ = std::move(config);
    restart_.cancel();
  });
}

asio::awaitable<void> ControlPlane::run() {
  using namespace asio::experimental::awaitable_operators;
  // ±20 % of jitter, so a fleet that lost its gateway does not come back in step.
  base::Backoff backoff({backoff_.initial, backoff_.max, 2, base::BackoffPolicy::Jitter::spread, 0.2},
                        base::random_u64());
  asio::steady_timer timer(co_await asio::this_coro::executor);
  auto restart_requested = [this]() -> asio::awaitable<void> {
    co_await restart_.async_wait(asio::as_tuple(use_awaitable));
  };
  for (;;) {
    const auto started = std::chrono::steady_clock::now();
    restart_.expires_at(asio::steady_timer::time_point::max());
    auto ended = co_await (session() || restart_requested());
    enrolled_ = false;
    // Stopping cancels both branches; either may finish first.
    if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none)
      co_return;
    if (ended.index() == 1) {  // reconfigure(): reconnect at once with the new bootstrap
      log::info("control", "bootstrap reloaded: reconnecting");
      backoff.reset();
      continue;
    }
    const std::string why = std::get<0>(ended);
    // A session that ran a while was a success: start the backoff over.
    if (std::chrono::steady_clock::now() - started > backoff_.max) backoff.reset();
    const auto wait = backoff.next();
    ++reconnects_;
    log::warn("control", fmt::format("{}; reconnecting in {} ms", why, wait.count()));
    timer.expires_after(wait);
    co_await timer.async_wait(use_awaitable);
  }
}

}  // namespace sr::agent
