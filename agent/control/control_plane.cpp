#include "agent/control/control_plane.hpp"
#include "agent/control/gateway_pin.hpp"
#include "agent/control/tls_material.hpp"

#include "net/log/logger.hpp"
#include "agent/version.hpp"
#include "monitoring.grpc.pb.h"
#include "net/grpc_bridge/client_bidi.hpp"
#include "net/grpc_bridge/client_unary.hpp"
#include "net/grpc_bridge/release_thread.hpp"
#include "net/metrics_text.hpp"
#include "net/tls/peer_identity.hpp"
#include "sync/config/duration.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/core.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <random>

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

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string hostname() {
  char buf[256] = {};
  ::gethostname(buf, sizeof buf - 1);
  return buf;
}

struct Platform {
  std::string os, arch;
};
Platform platform() {
  utsname u{};
  ::uname(&u);
  return {u.sysname, u.machine};
}

std::string deployment_type() {
  if (std::getenv("KUBERNETES_SERVICE_HOST")) return "kubernetes";
  if (std::ifstream("/.dockerenv").good()) return "docker";
  return "bare-metal";
}

// A channel with the bootstrap's material, or why there is none: a TLS file
// that cannot be used is an error, never an empty string (see tls_material.hpp).
net::Expected<std::shared_ptr<grpc::Channel>> make_channel(const BootstrapConfig& c) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt("grpc.use_local_subchannel_pool", 1);  // a fresh connection per session
  if (!c.server_name.empty()) args.SetSslTargetNameOverride(c.server_name);
  if (c.allow_insecure)
    return grpc::CreateCustomChannel(c.gateway_addr, grpc::InsecureChannelCredentials(), args);
  auto material = read_tls_material(c.ca_file, c.cert_file, c.key_file, c.gateway_issuer_file);
  if (!material) return net::Expected<std::shared_ptr<grpc::Channel>>::failure(material.error());
  if (!material->issuer_pem.empty())
    return grpc::CreateCustomChannel(c.gateway_addr,
                                     pinned_credentials(material->ca_pem, material->cert_pem, material->key_pem,
                                                        material->issuer_pem, c.gateway_issuer_file),
                                     args);
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = std::move(material->ca_pem);
  ssl.pem_private_key = std::move(material->key_pem);
  ssl.pem_cert_chain = std::move(material->cert_pem);
  return grpc::CreateCustomChannel(c.gateway_addr, grpc::SslCredentials(ssl), args);
}

std::string describe(const grpc::Status& s) {
  return fmt::format("{} ({})", s.error_message(), static_cast<int>(s.error_code()));
}

std::chrono::milliseconds clamp_poll(std::int32_t seconds, std::chrono::milliseconds floor) {
  if (seconds <= 0) return kDefaultPoll;
  auto d = std::chrono::milliseconds(std::chrono::seconds(seconds));
  return std::clamp(d, floor, std::chrono::milliseconds(kMaxPoll));
}

// ±20 %, so a fleet that lost its gateway does not come back in step.
std::chrono::milliseconds with_jitter(std::chrono::milliseconds d) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_real_distribution<double> factor(0.8, 1.2);
  return std::chrono::milliseconds(static_cast<std::int64_t>(static_cast<double>(d.count()) * factor(rng)));
}

}  // namespace

PlatformFacts platform_facts() {
  const auto p = platform();
  return {hostname(), p.os, p.arch};
}

net::Expected<AgentIdentity> identity_from_certificate(const BootstrapConfig& c) {
  using Result = net::Expected<AgentIdentity>;
  if (c.allow_insecure && c.cert_file.empty()) {
    if (c.agent_id.empty()) return Result::failure("allow_insecure without a certificate needs agent_id");
    return AgentIdentity{c.agent_id, c.partition.empty() ? "default" : c.partition, ""};
  }
  // The same checks as every connection makes: at start-up (and on SIGHUP) a
  // file that cannot be used is refused, naming it.
  auto material = read_tls_material(c.ca_file, c.cert_file, c.key_file, c.gateway_issuer_file);
  if (!material) return Result::failure(material.error());
  auto facts = net::tls::read_certificate(material->cert_pem);
  if (!facts) return Result::failure(c.cert_file + ": " + facts.error());
  auto id = net::tls::identity_from(*facts);
  if (!id) return Result::failure(c.cert_file + ": " + id.error());
  if (id->component_type != "agent")
    return Result::failure(fmt::format("{}: component type '{}' is not an agent certificate",
                                       c.cert_file, id->component_type));
  if (facts->not_after < unix_now())
    return Result::failure(c.cert_file + ": the certificate has expired");
  return AgentIdentity{id->agent_id, id->partition, id->tenant};
}

std::vector<std::string> identity_warnings(const Bootstrap& boot, const AgentIdentity& id) {
  const auto& c = boot.config;
  std::vector<std::string> out;
  if (c.allow_insecure && c.cert_file.empty()) return out;  // the bootstrap is the identity
  auto check = [&](const char* key, const std::string& configured, const std::string& actual) {
    if (configured.empty() || configured == actual) return;
    auto it = boot.origin.find(key);
    out.push_back(fmt::format("{} '{}' in {} differs from the certificate's '{}'; the certificate is the identity",
                              key, configured, it == boot.origin.end() ? "the bootstrap" : it->second, actual));
  };
  check("agent_id", c.agent_id, id.agent_id);
  check("partition", c.partition, id.partition);
  return out;
}

std::vector<std::string> hello_capabilities(bool sync_enabled) {
  if (!sync_enabled) return {};
  return {"sync"};
}

std::string heartbeat_message(const std::string& config_version, bool sync_enabled,
                              const std::string& status_json) {
  std::string out = fmt::format(R"({{"config_version":"{}")", config_version);
  if (!sync_enabled) out += R"(,"sync_runtime_enabled":false)";
  // status_json is an object: its members follow ours.
  const auto open = status_json.find('{');
  const auto rest = open == std::string::npos ? std::string("}") : status_json.substr(open + 1);
  const bool empty = rest.find_first_not_of(" \t\r\n") == rest.find('}');
  return out + (empty ? "" : ",") + rest;
}

ControlPlane::ControlPlane(asio::any_io_executor ex, BootstrapConfig config,
                           AgentIdentity identity, Backoff backoff, ControlHooks hooks)
    : ex_(std::move(ex)),
      config_(std::move(config)),
      sync_enabled_(config_.sync_runtime_enabled),
      restart_(ex_),
      identity_(std::move(identity)),
      backoff_(backoff),
      hooks_(std::move(hooks)) {}

ControlPlane::~ControlPlane() = default;

std::string ControlPlane::config_version() const {
  std::lock_guard lock(mu_);
  return version_;
}

void ControlPlane::apply(const std::string& version, const std::string& config_json,
                         const char* how) {
  // Versions are content hashes: the push that opens every ControlStream
  // repeats what GetConfig just delivered, and restarting on it would be noise.
  if (applied_ && config_version() == version) {
    log::debug("control", fmt::format("config {} ({}) is the one running", version, how));
    return;
  }
  auto sources = sync::parse_sources(config_json);
  // A config that is not JSON at all is refused whole; the last good one runs on.
  if (!sources.fatal.empty()) {
    log::error("control", fmt::format("config {} ({}) refused: {}", version, how, sources.fatal));
    return;
  }
  {
    std::lock_guard lock(mu_);
    version_ = version;
  }
  applied_ = true;
  std::string list;
  for (const auto& s : sources.sources) list += (list.empty() ? "" : ", ") + s.name;
  log::info("control", fmt::format("config {} applied ({}): {} source(s){}{}", version, how,
                                   sources.sources.size(), sources.sources.empty() ? "" : ": ", list));
  if (hooks_.apply_config) hooks_.apply_config(version, sources);
  if (hooks_.config_applied) hooks_.config_applied(version, config_json);
}

void ControlPlane::adopt_cached(const std::string& version) {
  std::lock_guard lock(mu_);
  version_ = version;
}

void ControlPlane::count_rpc(const char* method, const grpc::Status& status) {
  std::lock_guard lock(mu_);
  ++rpcs_[{method, static_cast<int>(status.error_code())}];
}

std::string ControlPlane::metrics_text() const {
  std::string out;
  auto gauge = [&](const char* name, const char* help, const std::string& value) {
    out += fmt::format("# HELP {} {}\n# TYPE {} gauge\n{} {}\n", name, help, name, name, value);
  };
  gauge("serviceradar_agent_enrolled", "1 while enrolled with the gateway.", enrolled_ ? "1" : "0");
  gauge("serviceradar_agent_ready", "1 while enrolled and a config is applied.", ready() ? "1" : "0");
  gauge("serviceradar_agent_sync_runtime_enabled", "0 when sync_runtime_enabled is false: no source runs.",
        sync_enabled_ ? "1" : "0");
  out += "# HELP serviceradar_agent_config_info The config version applied last.\n"
         "# TYPE serviceradar_agent_config_info gauge\n";
  out += fmt::format("serviceradar_agent_config_info{{{}}} 1\n", net::metrics::label("version", config_version()));
  out += "# HELP serviceradar_agent_reconnects_total Sessions with the gateway that ended.\n"
         "# TYPE serviceradar_agent_reconnects_total counter\n";
  out += fmt::format("serviceradar_agent_reconnects_total {}\n", reconnects_.load());
  out += "# HELP serviceradar_agent_tls_material_errors_total Connection attempts refused because the CA, "
         "certificate or key file could not be used.\n"
         "# TYPE serviceradar_agent_tls_material_errors_total counter\n";
  out += fmt::format("serviceradar_agent_tls_material_errors_total {}\n", tls_material_errors_.load());
  out += "# HELP serviceradar_agent_rpc_total RPCs to the gateway by method and status code.\n"
         "# TYPE serviceradar_agent_rpc_total counter\n";
  std::lock_guard lock(mu_);
  for (const auto& [key, n] : rpcs_)
    out += fmt::format("serviceradar_agent_rpc_total{{{},code=\"{}\"}} {}\n",
                       net::metrics::label("method", key.first), key.second, n);
  return out;
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

  asio::awaitable<std::string> get_config(const char* how) {
    monitoring::AgentConfigRequest req;
    req.set_agent_id(cp.identity_.agent_id);
    req.set_config_version(cp.config_version());
    auto [status, resp] = co_await unary<monitoring::AgentConfigResponse>("GetConfig",
        [s = stub.get()](auto* c, auto* q, auto* r, auto d) { s->async()->GetConfig(c, q, r, std::move(d)); }, std::move(req), kRpcTimeout);
    if (!status.ok()) co_return "GetConfig failed: " + describe(status);
    if (resp.heartbeat_interval_sec() > 0) heartbeat_sec = resp.heartbeat_interval_sec();
    poll = clamp_poll(resp.config_poll_interval_sec(), cp.config_.min_poll_interval);
    if (!resp.not_modified()) cp.apply(resp.config_version(), resp.config_json(), how);
    co_return std::string();
  }

  asio::awaitable<std::string> poll_loop() {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (;;) {
      timer.expires_after(poll);
      co_await timer.async_wait(use_awaitable);
      if (auto why = co_await get_config("poll"); !why.empty()) co_return why;
    }
  }

  asio::awaitable<std::string> heartbeat_loop() {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    const auto p = platform();
    for (;;) {
      timer.expires_after(std::chrono::seconds(heartbeat_sec));
      co_await timer.async_wait(use_awaitable);
      monitoring::GatewayStatusRequest req;
      req.set_agent_id(cp.identity_.agent_id);
      req.set_partition(cp.identity_.partition);
      req.set_timestamp(unix_now());
      req.set_version(version());
      req.set_hostname(hostname());
      req.set_os(p.os);
      req.set_arch(p.arch);
      auto* svc = req.add_services();
      svc->set_service_name("sync");
      svc->set_service_type("sync");
      svc->set_source("status");
      svc->set_available(true);
      svc->set_agent_id(cp.identity_.agent_id);
      svc->set_partition(cp.identity_.partition);
      const std::string sources = cp.hooks_.status_json ? cp.hooks_.status_json() : R"({"sources":{}})";
      svc->set_message(heartbeat_message(cp.config_version(), cp.sync_enabled_, sources));
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
    monitoring::ControlStreamRequest hello;
    auto* h = hello.mutable_hello();
    h->set_agent_id(cp.identity_.agent_id);
    h->set_partition(cp.identity_.partition);
    for (const auto& c : hello_capabilities(cp.sync_enabled_)) h->add_capabilities(c);
    h->set_config_version(cp.config_version());
    h->set_version(version());
    h->set_hostname(hostname());
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
        if (!cfg.not_modified()) cp.apply(cfg.config_version(), cfg.config_json(), "pushed");
        answer.mutable_config_ack()->set_config_version(cfg.config_version());
        answer.mutable_config_ack()->set_timestamp(unix_now());
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
    ack.mutable_command_ack()->set_timestamp(unix_now());
    co_await stream.async_write(std::move(ack), use_awaitable);
    const bool expired = cmd.ttl_seconds() > 0 && cmd.created_at() + cmd.ttl_seconds() < unix_now();
    monitoring::ControlStreamRequest result;
    auto* r = result.mutable_command_result();
    r->set_command_id(cmd.command_id());
    r->set_command_type(cmd.command_type());
    r->set_success(false);
    r->set_message(expired ? "command expired" : "unsupported command");
    r->set_timestamp(unix_now());
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
  monitoring::AgentHelloRequest hello;
  hello.set_agent_id(identity_.agent_id);
  hello.set_version(version());
  for (const auto& c : hello_capabilities(sync_enabled_)) hello.add_capabilities(c);
  hello.set_hostname(hostname());
  const auto p = platform();
  hello.set_os(p.os);
  hello.set_arch(p.arch);
  hello.set_partition(identity_.partition);
  hello.set_config_version(config_version());
  (*hello.mutable_labels())["deployment_type"] = deployment_type();
  auto [status, resp] = co_await s.unary<monitoring::AgentHelloResponse>("Hello",
      [st = s.stub.get()](auto* c, auto* q, auto* r, auto d) { st->async()->Hello(c, q, r, std::move(d)); }, std::move(hello), kHelloTimeout);
  if (!status.ok()) co_return "Hello failed: " + describe(status);
  if (!resp.accepted()) co_return "Hello not accepted: " + resp.message();
  enrolled_ = true;
  log::info("control", fmt::format("enrolled with gateway {} as {} (tenant {}): {}",
                                   resp.gateway_id(), identity_.agent_id,
                                   identity_.tenant.empty() ? "default" : identity_.tenant,
                                   resp.message()));
  if (resp.heartbeat_interval_sec() > 0) s.heartbeat_sec = resp.heartbeat_interval_sec();
  if (hooks_.session) {
    hooks_.session(s.stub, resp.gateway_id());
    link.up = true;
  }
  if (resp.config_outdated() || config_version().empty()) {
    if (auto why = co_await s.get_config("enrolment"); !why.empty()) co_return why;
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
  auto backoff = backoff_.initial;
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
      backoff = backoff_.initial;
      continue;
    }
    const std::string why = std::get<0>(ended);
    // A session that ran a while was a success: start the backoff over.
    if (std::chrono::steady_clock::now() - started > backoff_.max) backoff = backoff_.initial;
    const auto wait = with_jitter(backoff);
    ++reconnects_;
    log::warn("control", fmt::format("{}; reconnecting in {} ms", why, wait.count()));
    timer.expires_after(wait);
    co_await timer.async_wait(use_awaitable);
    backoff = std::min(backoff * 2, backoff_.max);
  }
}

}  // namespace sr::agent
