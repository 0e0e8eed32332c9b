// serviceradar-agent: enrols with the agent-gateway, runs the integration
// sources its config names and streams their devices to the gateway.
//
//   serviceradar-agent [run]        foreground; the container entrypoint
//   serviceradar-agent check-config validate the bootstrap and certificates
//   serviceradar-agent sync --once --sources FILE [--out FILE|-]
//                                   run sources locally, no gateway
//   serviceradar-agent version
#include "agent/bootstrap/bootstrap_config.hpp"
#include "agent/control/control_plane.hpp"
#include "agent/process/hardening.hpp"
#include "agent/process/loop_lag.hpp"
#include "agent/process/startup_pages.hpp"
#include "agent/state/config_cache.hpp"
#include "agent/state/state_dir.hpp"
#include "agent/sync_once/sync_once.hpp"
#include "net/log/logger.hpp"
#include "agent/version.hpp"
#include "net/http/server.hpp"
#include "net/io_pool.hpp"
#include "net/grpc_bridge/release_thread.hpp"
#include "net/read_file.hpp"
#include "net/tls/peer_identity.hpp"
#include "sync/config/duration.hpp"
#include "sync/runtime/sync_runtime.hpp"
#include "sync/send/sender.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/program_options.hpp>
#include <fmt/format.h>
#include <pthread.h>

#include <csignal>

#include <functional>
#include <malloc.h>
#include <future>
#include <iostream>
#include <map>
#include <string>
#include <utility>

namespace po = boost::program_options;
namespace asio = boost::asio;
using namespace sr::agent;

namespace {

constexpr int kExitUsage = 64;   // EX_USAGE
constexpr int kExitConfig = 78;  // EX_CONFIG
constexpr const char* kDefaultConfig = "/etc/serviceradar/agent.json";
constexpr auto kReleaseStartupPagesAfter = std::chrono::seconds(60);

std::string certificate_serial(const BootstrapConfig& c) {
  auto pem = sr::net::read_file(c.cert_file);
  if (!pem) return "?";
  auto facts = sr::net::tls::read_certificate(*pem);
  return facts ? facts->serial : "?";
}

std::string flag_name(const std::string& key) {
  std::string f = key;
  for (auto& c : f)
    if (c == '_') c = '-';
  return f;
}

po::options_description global_options() {
  po::options_description opts("Options");
  opts.add_options()
      ("help,h", "print this help and exit")
      ("version,V", "print the version of the agent and its libraries and exit")
      ("config,c", po::value<std::string>(),
       "bootstrap JSON file (default /etc/serviceradar/agent.json, if present)")
      ("grace", po::value<int>()->default_value(10),
       "seconds in-flight work may take to finish on SIGTERM/SIGINT")
      ("backoff-initial", po::value<std::string>()->default_value("5s"),
       "first reconnect delay (doubles up to --backoff-max, with jitter)")
      ("backoff-max", po::value<std::string>()->default_value("60s"), "longest reconnect delay");
  po::options_description sync("sync command");
  sync.add_options()
      ("sources", po::value<std::string>(), "JSON file with {\"sources\": {...}} as the gateway sends them")
      ("out", po::value<std::string>()->default_value("-"), "NDJSON output file, - for stdout")
      ("once", "run every source once and exit (else keep their schedule until SIGINT)")
      ("no-progress", "no progress line, even on a terminal");
  opts.add(sync);
  po::options_description keys("Bootstrap (file key, environment variable; flags override both)");
  for (const auto& k : bootstrap_keys()) {
    keys.add_options()(flag_name(k.key).c_str(), po::value<std::string>(),
                       fmt::format("{} [{}, {}]", k.help, k.key, k.env).c_str());
  }
  opts.add(keys);
  return opts;
}

void print_usage(std::ostream& out, const po::options_description& opts) {
  out << "Usage: serviceradar-agent [OPTIONS] [COMMAND]\n\n"
         "Pulls device inventories from integration sources (Armis, NetBox, faker)\n"
         "and streams them to the ServiceRadar agent-gateway over mTLS gRPC.\n\n"
         "Commands:\n"
         "  run           enrol with the gateway and follow its config (default)\n"
         "  check-config  validate the bootstrap and certificates, print the identity\n"
         "  sync          run sources from --sources locally and print their devices\n"
         "  version       same as --version\n"
         "  help          same as --help\n\n"
      << opts << "\n";
}

std::optional<std::chrono::milliseconds> duration_flag(const po::variables_map& vm,
                                                       const char* name) {
  auto d = sr::sync::parse_duration(vm[name].as<std::string>());
  if (!d.value) {
    std::cerr << "serviceradar-agent: --" << name << ": " << d.error << "\n";
    return std::nullopt;
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(*d.value);
}

sr::net::Expected<Bootstrap> bootstrap_from(const po::variables_map& vm) {
  std::map<std::string, std::string> flags;
  for (const auto& k : bootstrap_keys())
    if (vm.count(flag_name(k.key))) flags[k.key] = vm[flag_name(k.key)].as<std::string>();
  const bool explicit_file = vm.count("config") > 0;
  const std::string file = explicit_file ? vm["config"].as<std::string>() : kDefaultConfig;
  return load_bootstrap(file, explicit_file, process_environment(), flags);
}

int check_config(const po::variables_map& vm) {
  auto boot = bootstrap_from(vm);
  if (!boot) {
    std::cout << "bootstrap: ERROR " << boot.error() << "\n";
    return 1;
  }
  for (const auto& w : boot->warnings) std::cout << "warning: " << w << "\n";
  auto id = identity_from_certificate(boot->config);
  if (!id) {
    std::cout << "identity: ERROR " << id.error() << "\n";
    return 1;
  }
  for (const auto& w : identity_warnings(*boot, *id)) std::cout << "warning: " << w << "\n";
  const auto& c = boot->config;
  std::cout << "gateway:   " << c.gateway_addr << (c.server_name.empty() ? "" : " (TLS name " + c.server_name + ")")
            << "\n"
            << "agent_id:  " << id->agent_id << "\n"
            << "partition: " << id->partition << "\n"
            << "tenant:    " << (id->tenant.empty() ? "(none: the gateway's default tenant)" : id->tenant)
            << "\n"
            << "transport: " << (c.allow_insecure ? "PLAINTEXT" : "mTLS") << "\n";
  if (!c.allow_insecure)
    std::cout << "cert_file: " << c.cert_file << "\n"
              << "key_file:  " << c.key_file << "\n"
              << "ca_file:   " << c.ca_file << "\n"
              << "issuer:    " << (c.gateway_issuer_file.empty() ? "(not pinned: any CA under ca_file)"
                                                                 : c.gateway_issuer_file)
              << "\n";
  std::cout << "log_level: " << c.log_level << "\n"
            << "sync:      " << (c.sync_runtime_enabled ? "enabled" : "disabled (sync_runtime_enabled false)")
            << "\n";
  return 0;
}

void reload_bootstrap(const po::variables_map& vm, const AgentIdentity& running, bool sync_enabled,
                      ControlPlane& control, ConfigCache& cache) {
  auto boot = bootstrap_from(vm);
  if (!boot) {
    sr::log::error("bootstrap", "SIGHUP: keeping the running bootstrap: " + boot.error());
    return;
  }
  auto id = identity_from_certificate(boot->config);
  if (!id) {
    sr::log::error("bootstrap", "SIGHUP: keeping the running bootstrap: " + id.error());
    return;
  }
  if (id->agent_id != running.agent_id || id->partition != running.partition ||
      id->tenant != running.tenant) {
    sr::log::error("bootstrap", fmt::format("SIGHUP: the certificate now names agent '{}' (partition '{}', "
                                        "tenant '{}'), not this agent: keeping the running bootstrap",
                                        id->agent_id, id->partition, id->tenant));
    return;
  }
  for (const auto& w : boot->warnings) sr::log::warn("bootstrap", "SIGHUP: " + w);
  for (const auto& w : identity_warnings(*boot, *id)) sr::log::warn("bootstrap", "SIGHUP: " + w);
  if (boot->config.sync_runtime_enabled != sync_enabled) {
    sr::log::warn("bootstrap", fmt::format("SIGHUP: sync_runtime_enabled is now {}: that takes a restart; "
                                           "it stays {} until then", boot->config.sync_runtime_enabled,
                                           sync_enabled));
    boot->config.sync_runtime_enabled = sync_enabled;
  }
  sr::log::info("bootstrap", fmt::format("SIGHUP: bootstrap and certificate re-read ({}, serial {})",
                                     boot->config.cert_file, certificate_serial(boot->config)));
  control.reconfigure(boot->config);
  // A rotated key re-seals the config cache under a key derived from it (off this thread: fsync).
  if (cache.mode() != CacheMode::off) cache.rekey_in_background(sr::net::read_file(boot->config.key_file).value_or(""));
}

// The sync runtime's side of a config: run its sources, or, with
// sync_runtime_enabled false, say once per version that they do not run.
class SyncGate {
 public:
  SyncGate(bool enabled, sr::sync::SyncRuntime& runtime) : enabled_(enabled), runtime_(runtime) {}
  // On the control plane's strand (or before the pool starts).
  void apply(const std::string& version, const sr::sync::SourcesConfig& sources) {
    if (enabled_) return runtime_.apply(sources);
    if (version == reported_) return;
    reported_ = version;
    sr::log::info("sync", fmt::format("config {}: sync_runtime_enabled is false: {} source(s) not run", version,
                                      sources.sources.size()));
  }

 private:
  const bool enabled_;
  sr::sync::SyncRuntime& runtime_;
  std::string reported_;
};

// SIGINT, SIGTERM and SIGHUP held pending from the first line of `run` until
// the signal sets that handle them exist: a stop during start-up (a service
// manager stopping a slow start) becomes the orderly stop, and a reload the
// reload, instead of the default action (the process killed).
class StopSignalsHeld {
 public:
  StopSignalsHeld() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    sigaddset(&set_, SIGHUP);
    ::pthread_sigmask(SIG_BLOCK, &set_, nullptr);
  }
  ~StopSignalsHeld() { release(); }
  StopSignalsHeld(const StopSignalsHeld&) = delete;
  StopSignalsHeld& operator=(const StopSignalsHeld&) = delete;
  // Once a handler is installed: a pending signal is delivered to it now.
  void release() {
    if (std::exchange(held_, false)) ::pthread_sigmask(SIG_UNBLOCK, &set_, nullptr);
  }

 private:
  sigset_t set_;
  bool held_ = true;
};

int run(const po::variables_map& vm, const HardeningReport& hardening) {
  StopSignalsHeld held_signals;
  auto boot = bootstrap_from(vm);
  if (!boot) {
    std::cerr << "serviceradar-agent: " << boot.error() << "\n";
    return kExitConfig;
  }
  const auto& config = boot->config;
  sr::log::configure(config.log_level, config.log_format);
  for (const auto& i : hardening.info) sr::log::info("agent", i);
  for (const auto& w : hardening.warnings) sr::log::warn("agent", w);
  for (const auto& w : boot->warnings) sr::log::warn("bootstrap", w);
  auto id = identity_from_certificate(config);
  if (!id) {
    sr::log::error("bootstrap", id.error());
    return kExitConfig;
  }
  for (const auto& w : identity_warnings(*boot, *id)) sr::log::warn("bootstrap", w);
  if (!config.sync_runtime_enabled)
    sr::log::info("agent", "sync_runtime_enabled is false: enrolment, config and heartbeats run; no source "
                           "does, and Hello does not advertise the sync capability");
  auto initial = duration_flag(vm, "backoff-initial");
  auto max = duration_flag(vm, "backoff-max");
  if (!initial || !max) return kExitUsage;

  if (!config.state_dir.empty()) {
    auto prepared = sr::agent::prepare_state_dir(config.state_dir);
    if (!prepared) {
      sr::log::error("bootstrap", prepared.error());
      return kExitConfig;
    }
    if (!prepared->empty()) sr::log::warn("bootstrap", *prepared);
    sr::agent::remove_state_leftovers(config.state_dir);
  }
  auto spool = sr::sync::SpoolStore::open(
      {config.state_dir.empty() ? std::filesystem::path() : std::filesystem::path(config.state_dir) / "spool",
       static_cast<std::size_t>(config.spool_memory), config.spool_disk_cap});
  if (!spool) {
    sr::log::error("bootstrap", "state_dir: " + spool.error());
    return kExitConfig;
  }
  if ((*spool)->leftovers_removed())
    sr::log::info("sync", fmt::format("removed {} spool file(s) left by an earlier run in {}",
                                      (*spool)->leftovers_removed(), (*spool)->dir().string()));

  // Outlives the pool: gRPC channels are destroyed there, never on a pool thread.
  sr::net::grpc_bridge::ReleaseThread grpc_releases;
  sr::net::IoPool pool(config.threads);
  // Queues a stop that came during start-up until the wait below.
  asio::signal_set signals(pool.executor(), SIGINT, SIGTERM);
  auto work = asio::make_work_guard(pool.executor());
  auto strand = asio::make_strand(pool.executor());

  // The sync runtime and its sender, fed by the control plane.
  const auto plat = platform_facts();
  sr::sync::SyncStats stats;
  sr::sync::SenderOptions sopts{id->agent_id, id->partition, version(), plat.hostname, plat.os, plat.arch};
  sr::sync::Sender sender(pool.executor(), sopts, stats);
  sr::sync::RuntimeOptions ropts;
  ropts.agent_id = id->agent_id;
  ropts.partition = id->partition;
  std::vector<std::string> limit_warnings;
  ropts.limits = sr::sync::ChunkLimits::from_environment(limit_warnings);
  for (const auto& w : limit_warnings) sr::log::warn("sync", w);
  ropts.run_timeout = config.run_timeout;
  if (!config.state_dir.empty()) ropts.state_dir = config.state_dir;
  ropts.min_interval = config.min_sync_interval;
  sr::sync::SyncRuntime runtime(pool.executor(), ropts, *spool, stats,
                                [&sender](auto run) { sender.deliver(std::move(run)); });
  SyncGate gate(config.sync_runtime_enabled, runtime);
  ControlHooks hooks;
  hooks.apply_config = [&gate](const std::string& version, const sr::sync::SourcesConfig& sources) {
    gate.apply(version, sources);
  };
  hooks.session = [&runtime, &sender](auto stub, const std::string& gateway_id) {
    if (stub) runtime.set_gateway_id(gateway_id);
    sender.set_link(std::move(stub), gateway_id);
  };
  hooks.status_json = [&stats] { return stats.status_json(); };
  // The last good config survives a restart without the gateway.
  const auto cache_mode = config.config_cache == "off"     ? CacheMode::off
                          : config.config_cache == "plain" ? CacheMode::plain
                                                           : CacheMode::sealed;
  // The sealing key is the agent's private key: identity_from_certificate
  // checked it, and one that vanished since is an error, not an empty key.
  std::string cache_key;
  if (!config.key_file.empty()) {
    auto key = sr::net::read_small_file(config.key_file);
    if (!key) {
      sr::log::error("bootstrap", key.error() + " (the private key)");
      return kExitConfig;
    }
    cache_key = std::move(*key);
  }
  ConfigCache cache(config.state_dir, config.state_dir.empty() ? CacheMode::off : cache_mode,
                    std::move(cache_key));
  // Written on the cache's own thread: a durable write blocks on fsync, never on the strand.
  hooks.config_applied = [&cache](const std::string& version, const std::string& config_json) {
    cache.save_in_background({version, config_json});
  };
  ControlPlane control(strand, config, *id, Backoff{*initial, *max}, std::move(hooks));
  if (cache.mode() != CacheMode::off) {
    if (auto cached = cache.load()) {
      auto sources = sr::sync::parse_sources(cached->config_json);
      sr::log::info("control", fmt::format("{} the cached config {} ({} source(s)) until the gateway answers",
                                           config.sync_runtime_enabled ? "running" : "taking",
                                           cached->version, sources.sources.size()));
      control.adopt_cached(cached.config->version);
      gate.apply(cached.config->version, sources);
    } else if (cached.refused) {
      sr::log::warn("control", "config cache " + cached.why);
    } else {
      sr::log::debug("control", cached.why);
    }
  }
  sr::log::info("agent", fmt::format("{} starting: agent {} partition {} gateway {}",
                                 version(), id->agent_id, id->partition, config.gateway_addr));

  // Measured every 250 ms: four wake-ups a second cost nothing an idle agent notices.
  sr::agent::LoopLagProbe lag(asio::make_strand(pool.executor()), std::chrono::milliseconds(250));

  // /healthz, /readyz and /metrics, only when an address is configured.
  std::unique_ptr<sr::net::http::Server> http;
  if (!config.metrics_addr.empty()) {
    sr::net::http::ServerOptions hopts;
    hopts.listen = config.metrics_addr;
    http = std::make_unique<sr::net::http::Server>(pool.executor(), hopts);
    using sr::net::http::Request;
    using sr::net::http::Response;
    http->route("/healthz", [](const Request&) { return Response{200, "application/json", R"({"status":"ok"})"}; });
    http->route("/readyz", [&control](const Request&) {
      return control.ready() ? Response{200, "application/json", R"({"ready":true})"}
                             : Response{503, "application/json", R"({"ready":false})"};
    });
    http->route("/metrics", [&control, &runtime, &sender, &lag, server = http.get()](const Request&) {
      return Response{200, "text/plain; version=0.0.4",
                      control.metrics_text() + runtime.metrics_text() + sender.metrics_text() +
                          lag.metrics_text() + sr::net::http::metrics_text(server->stats(), "serviceradar_agent")};
    });
    if (auto err = http->start(); !err.empty()) {
      sr::log::error("bootstrap", "metrics_addr: " + err);
      return kExitConfig;
    }
    sr::log::info("agent", "http endpoint listening on " + http->address());
  }

  asio::cancellation_signal stop, stop_sender;
  std::promise<void> finished, sender_finished;
  asio::co_spawn(strand, control.run(),
                 asio::bind_cancellation_slot(stop.slot(), [&](std::exception_ptr) {
                   finished.set_value();
                 }));
  auto sender_strand = sender.executor();
  asio::co_spawn(sender_strand, sender.run(),
                 asio::bind_cancellation_slot(stop_sender.slot(), [&](std::exception_ptr e) {
                   if (e) sr::log::error("sync", "sender ended by an exception");
                   sender_finished.set_value();
                 }));
  // SIGHUP: re-read the bootstrap and certificates; the identity must stay
  // the same (a rotated certificate), else the old bootstrap stays in use.
  asio::signal_set hangup(pool.executor(), SIGHUP);
  held_signals.release();  // both sets exist: a signal held since start-up is theirs now
  std::function<void()> await_hangup = [&] {
    hangup.async_wait([&](boost::system::error_code ec, int) {
      if (ec) return;
      reload_bootstrap(vm, *id, config.sync_runtime_enabled, control, cache);
      await_hangup();
    });
  };
  await_hangup();

  // Once start-up is over (enrolled, first runs done or under way), give
  // back the code pages only initialisation touched.
  asio::steady_timer trim_timer(pool.executor(), kReleaseStartupPagesAfter);
  trim_timer.async_wait([](boost::system::error_code ec) {
    if (ec) return;
    const auto t = sr::agent::release_startup_pages();
    if (!t.supported) return sr::log::debug("agent", "MADV_PAGEOUT unsupported: start-up pages kept");
    sr::log::info("agent", fmt::format("start-up code pages released: RSS {:.1f} -> {:.1f} MiB",
                                       t.rss_before_kib / 1024.0, t.rss_after_kib / 1024.0));
  });

  std::promise<int> signalled;
  signals.async_wait([&](boost::system::error_code ec, int sig) {
    if (!ec) signalled.set_value(sig);
  });
  lag.start();
  pool.start();

  const int sig = signalled.get_future().get();
  const auto grace = std::chrono::seconds(vm["grace"].as<int>());
  const auto deadline = std::chrono::steady_clock::now() + grace;
  sr::log::info("agent", fmt::format("signal {}: stopping (grace {} s)", sig, grace.count()));
  // Stop polling sources at once; let the stream in flight finish within the
  // grace period, then cancel it; then leave the gateway.
  std::promise<void> runners_stopped;
  runtime.stop([&] { runners_stopped.set_value(); });
  sender.drain();
  auto sender_done = sender_finished.get_future();
  if (sender_done.wait_until(deadline) != std::future_status::ready) {
    sr::log::warn("sync", "grace period over: cancelling the stream in flight");
    asio::post(sender_strand, [&] { stop_sender.emit(asio::cancellation_type::terminal); });
  }
  asio::post(strand, [&] { stop.emit(asio::cancellation_type::terminal); });
  asio::post(pool.executor(), [&] {
    hangup.cancel();
    trim_timer.cancel();
    lag.stop();
  });
  const auto after = std::max(deadline, std::chrono::steady_clock::now() + std::chrono::seconds(1));
  const bool clean = finished.get_future().wait_until(after) == std::future_status::ready &&
                     runners_stopped.get_future().wait_until(after) == std::future_status::ready &&
                     sender_done.wait_until(after) == std::future_status::ready;
  if (http) {
    std::promise<void> http_stopped;
    http->stop([&] { http_stopped.set_value(); });
    http_stopped.get_future().wait_for(grace);
  }
  work.reset();
  if (!clean) {
    sr::log::warn("agent", "grace period over: abandoning in-flight work");
    pool.stop();
  }
  pool.join();
  sr::log::info("agent", "stopped");
  return 0;
}

int sync_command(const po::variables_map& vm) {
  if (!vm.count("sources")) {
    std::cerr << "serviceradar-agent sync: --sources FILE is required\n";
    return kExitUsage;
  }
  SyncOnceOptions o;
  o.sources_file = vm["sources"].as<std::string>();
  o.out = vm["out"].as<std::string>();
  o.once = vm.count("once") > 0;
  o.progress = vm.count("no-progress") == 0;
  // The bootstrap is optional here; flags such as --state-dir still apply.
  if (vm.count("agent-id")) o.agent_id = vm["agent-id"].as<std::string>();
  if (vm.count("partition")) o.partition = vm["partition"].as<std::string>();
  if (vm.count("state-dir")) o.state_dir = vm["state-dir"].as<std::string>();
  if (vm.count("threads")) o.threads = static_cast<unsigned>(std::stoul(vm["threads"].as<std::string>()));
  if (vm.count("spool-memory"))
    o.spool_memory = sr::sync::parse_size_text(vm["spool-memory"].as<std::string>()).value_or(o.spool_memory);
  if (vm.count("log-level") || vm.count("log-format"))
    sr::log::configure(vm.count("log-level") ? vm["log-level"].as<std::string>() : "info",
                       vm.count("log-format") ? vm["log-format"].as<std::string>() : "text");
  return sync_once(o);
}

}  // namespace

int main(int argc, char** argv) {
  // Two malloc arenas for the whole process: glibc's default (8 per core)
  // lets every gRPC and pool thread keep its own freed chunk buffers, and RSS
  // then grows with the number of threads that ever touched a chunk.
  ::mallopt(M_ARENA_MAX, 2);
  // Before any key or credential is read.
  const auto hardening = harden_process(core_dumps_allowed(std::getenv("SR_ALLOW_CORE_DUMPS")));
  const auto opts = global_options();
  po::options_description all;
  all.add(opts).add_options()("command", po::value<std::string>(), "");
  po::positional_options_description positional;
  positional.add("command", 1);

  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "serviceradar-agent: " << e.what() << "\n"
              << "Try 'serviceradar-agent --help'.\n";
    return kExitUsage;
  }

  const std::string command = vm.count("command") ? vm["command"].as<std::string>() : "run";
  if (vm.count("help") || command == "help") {
    print_usage(std::cout, opts);
    return 0;
  }
  if (vm.count("version") || command == "version") {
    std::cout << version_report();
    return 0;
  }
  try {
    if (command == "check-config") return check_config(vm);
    if (command == "run") return run(vm, hardening);
    if (command == "sync") return sync_command(vm);
  } catch (const std::exception& e) {
    std::cerr << "serviceradar-agent: " << e.what() << "\n";
    return 1;
  }
  std::cerr << fmt::format("serviceradar-agent: unknown command '{}'\n", command)
            << "Try 'serviceradar-agent --help'.\n";
  return kExitUsage;
}
