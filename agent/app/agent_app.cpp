#include "agent/app/agent_app.hpp"

#include "agent/app/bootstrap_reload.hpp"
#include "agent/process/startup_pages.hpp"
#include "base/log/logger.hpp"
#include "base/read_file.hpp"

#include <boost/asio/post.hpp>
#include <fmt/format.h>

#include <future>

namespace sr::agent {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

// Once start-up is over (enrolled, first runs done or under way), the code
// pages only initialisation touched are given back.
constexpr auto kReleaseStartupPagesAfter = 60s;
// Measured every 250 ms: four wake-ups a second cost nothing an idle agent notices.
constexpr auto kLoopLagPeriod = 250ms;

sync::RuntimeOptions runtime_options(const AppSettings& s) {
  sync::RuntimeOptions o;
  o.agent_id = s.agent_id;
  o.partition = s.partition;
  std::vector<std::string> warnings;
  o.limits = sync::ChunkLimits::from_environment(warnings);
  for (const auto& w : warnings) log::warn("sync", w);
  o.run_timeout = s.run_timeout;
  o.once = s.once;
  o.state_dir = s.source_state_dir;
  if (s.min_sync_interval) o.min_interval = *s.min_sync_interval;
  return o;
}

CacheMode cache_mode(const BootstrapConfig& c) {
  if (c.state_dir.empty() || c.config_cache == "off") return CacheMode::off;
  return c.config_cache == "plain" ? CacheMode::plain : CacheMode::sealed;
}

}  // namespace

AgentApp::AgentApp(AppSettings settings, std::shared_ptr<sync::SpoolStore> spool, sync::RunHandler on_run,
                   bool gateway)
    : releases_(gateway ? std::make_optional<net::grpc_bridge::ReleaseThread>() : std::nullopt),
      spool_(std::move(spool)),
      pool_(settings.threads),
      stop_signals_(pool_.executor(), SIGINT, SIGTERM),
      work_(asio::make_work_guard(pool_.executor())),
      runtime_(pool_.executor(), runtime_options(settings), spool_, stats_, std::move(on_run)) {}

AgentApp::AgentApp(AppSettings settings, std::shared_ptr<sync::SpoolStore> spool, sync::RunHandler on_run)
    : AgentApp(std::move(settings), std::move(spool), std::move(on_run), false) {}

AgentApp::AgentApp(AppSettings settings, std::shared_ptr<sync::SpoolStore> spool, GatewayLinkOptions gateway)
    : AgentApp(std::move(settings), std::move(spool),
               [this](std::shared_ptr<sync::CompletedRun> run) { link_->deliver(std::move(run)); }, true) {
  ConfigSinks sinks;
  sinks.run_sources = [this](const sync::SourcesConfig& s) { runtime_.apply(s); };
  // Written on the cache's own thread: a durable write blocks on fsync, never on the strand.
  sinks.keep = [this](const std::string& version, const std::string& json) {
    if (cache_) cache_->save_in_background({version, json});
  };
  configs_ = std::make_unique<ConfigApplier>(gateway.config.sync_runtime_enabled, std::move(sinks));
  identity_ = gateway.identity;
  link_ = std::make_unique<GatewayLink>(pool_.executor(), std::move(gateway), *configs_, stats_,
                                        [this](const std::string& id) { runtime_.set_gateway_id(id); });
  lag_ = std::make_unique<LoopLagProbe>(asio::make_strand(pool_.executor()), kLoopLagPeriod);
  hangup_.emplace(pool_.executor(), SIGHUP);
  page_release_.emplace(pool_.executor(), kReleaseStartupPagesAfter);
}

AgentApp::~AgentApp() = default;

std::string AgentApp::open_config_cache(const BootstrapConfig& c) {
  // The sealing key is the agent's private key: identity_from_certificate
  // checked it, and one that vanished since is an error, not an empty key.
  std::string key;
  if (!c.key_file.empty()) {
    auto read = base::read_small_file(c.key_file);
    if (!read) return read.error() + " (the private key)";
    key = std::move(*read);
  }
  cache_ = std::make_unique<ConfigCache>(c.state_dir, cache_mode(c), std::move(key));
  return {};
}

void AgentApp::apply_cached_config() {
  if (!cache_ || cache_->mode() == CacheMode::off) return;
  auto cached = cache_->load();
  if (cached) return configs_->apply_config(cached->version, cached->config_json, ConfigOrigin::cached);
  if (cached.refused) return log::warn("control", "config cache " + cached.why);
  log::debug("control", cached.why);
}

std::string AgentApp::metrics_page() const {
  return link_->control().metrics_text() + runtime_.metrics_text() + link_->sender().metrics_text() +
         lag_->metrics_text() + net::http::metrics_text(http_->stats(), "serviceradar_agent");
}

std::string AgentApp::serve_http(const std::string& listen) {
  using net::http::Request;
  using net::http::Response;
  net::http::ServerOptions options;
  options.listen = listen;
  http_ = std::make_unique<net::http::Server>(pool_.executor(), options);
  http_->route("/healthz", [](const Request&) { return Response{200, "application/json", R"({"status":"ok"})"}; });
  http_->route("/readyz", [this](const Request&) {
    return link_->ready() ? Response{200, "application/json", R"({"ready":true})"}
                          : Response{503, "application/json", R"({"ready":false})"};
  });
  http_->route("/metrics", [this](const Request&) {
    return Response{200, "text/plain; version=0.0.4", metrics_page()};
  });
  if (auto err = http_->start(); !err.empty()) return err;
  log::info("agent", "http endpoint listening on " + http_->address());
  return {};
}

void AgentApp::on_reload(std::function<base::Expected<Bootstrap>()> reread) { reread_ = std::move(reread); }

void AgentApp::on_stop_signal(std::function<void(int)> handler) {
  stop_signals_.async_wait([handler = std::move(handler)](boost::system::error_code ec, int sig) {
    if (!ec) handler(sig);
  });
}

void AgentApp::start_reload_wait() {
  hangup_->async_wait([this](boost::system::error_code ec, int) {
    if (ec) return;
    if (reread_) {
      if (auto next = reloaded_bootstrap(reread_(), *identity_, configs_->sync_enabled())) {
        link_->reconfigure(*next);
        // A rotated key re-seals the config cache under a key derived from it (off this thread: fsync).
        if (cache_ && cache_->mode() != CacheMode::off)
          cache_->rekey_in_background(base::read_file(next->key_file).value_or(""));
      }
    }
    start_reload_wait();
  });
}

void AgentApp::start_page_release() {
  page_release_->async_wait([](boost::system::error_code ec) {
    if (ec) return;
    const auto t = release_startup_pages();
    if (!t.supported) return log::debug("agent", "MADV_PAGEOUT unsupported: start-up pages kept");
    log::info("agent", fmt::format("start-up code pages released: RSS {:.1f} -> {:.1f} MiB",
                                   t.rss_before_kib / 1024.0, t.rss_after_kib / 1024.0));
  });
}

void AgentApp::start() {
  if (link_) {
    link_->start();
    start_reload_wait();
    start_page_release();
    lag_->start();
  }
  pool_.start();
}

void AgentApp::cancel_services() {
  stop_signals_.cancel();
  if (hangup_) hangup_->cancel();
  if (page_release_) page_release_->cancel();
  if (lag_) lag_->stop();
}

void AgentApp::stop_http(std::chrono::seconds grace) {
  if (!http_) return;
  std::promise<void> stopped;
  http_->stop([&] { stopped.set_value(); });
  stopped.get_future().wait_for(grace);
}

bool AgentApp::stop(std::chrono::seconds grace) {
  const auto deadline = Clock::now() + grace;
  // Sources stop polling at once; the stream in flight may finish within
  // the grace period, then it is cancelled; then the gateway is left.
  std::promise<void> runners_stopped;
  auto runners = runners_stopped.get_future();
  runtime_.stop([&] { runners_stopped.set_value(); });
  if (link_) link_->stop(deadline);
  asio::post(pool_.executor(), [this] { cancel_services(); });
  const auto after = std::max(deadline, Clock::now() + 1s);
  const bool clean = (!link_ || link_->wait_until(after)) && runners.wait_until(after) == std::future_status::ready;
  stop_http(grace);
  work_.reset();
  if (!clean) {
    log::warn("agent", "grace period over: abandoning in-flight work");
    pool_.stop();
  }
  pool_.join();
  return clean;
}

}  // namespace sr::agent
