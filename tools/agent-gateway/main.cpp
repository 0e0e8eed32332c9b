// agent-gateway: the reference ServiceRadar agent-gateway for tests, the demo
// and benchmarks. See tools/agent-gateway/README.md.
#include "base/clock.hpp"
#include "base/env_knob.hpp"
#include "base/log/logger.hpp"
#include "base/process_hardening.hpp"
#include "base/read_file.hpp"
#include "base/text/size.hpp"
#include "net/http/server.hpp"
#include "net/io_pool.hpp"
#include "tools/agent-gateway/admin/admin_auth.hpp"
#include "tools/agent-gateway/admin/admin_routes.hpp"
#include "tools/agent-gateway/admin/source_routes.hpp"
#include "tools/agent-gateway/service/gateway_service.hpp"
#include "tools/agent-gateway/status/inventory_view.hpp"
#include "tools/agent-gateway/status/status_page.hpp"

#include <malloc.h>
#include <fmt/format.h>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/program_options.hpp>
#include <grpc/grpc.h>
#include <grpcpp/resource_quota.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <future>
#include <iostream>
#include <mutex>
#include <set>
#include <thread>

namespace {

namespace asio = boost::asio;
namespace po = boost::program_options;
namespace log = sr::log;
using namespace sr::gateway;

struct Flags {
  std::string listen, http_listen, cert, key, ca_dir, config_dir, sink_dir, data_dir, default_tenant,
      admin_token_file;
  GatewayOptions gateway;
  bool no_inventory = false, allow_core_dumps = false;
  unsigned threads = 1;
  int first_message_timeout_ms = 10'000;
  std::size_t grpc_memory_mib = 256;
  int store_poll_ms = 1000, sink_delay_ms = 0, ingest_delay_ms = 0, shutdown_grace_s = 5;
};

constexpr int kUsage = 64;

void describe_paths(po::options_description& opts, Flags& f) {
  opts.add_options()
    ("help,h", "print this help and exit")
    ("listen", po::value(&f.listen)->default_value("127.0.0.1:50052"),
     "gRPC address host:port (port 0: chosen by the OS, printed on the ready line)")
    ("http-listen", po::value(&f.http_listen)->default_value("127.0.0.1:0"),
     "HTTP endpoint host:port (status page /, /status, /inventory, /healthz, admin API); "
     "empty disables it")
    ("admin-token-file", po::value(&f.admin_token_file),
     "file whose first line is the admin API's bearer token (16+ characters); "
     "without it the admin endpoints answer 403")
    ("cert", po::value(&f.cert)->required(), "server certificate (PEM)")
    ("key", po::value(&f.key)->required(), "server private key (PEM)")
    ("ca-dir", po::value(&f.ca_dir)->required(),
     "root.pem (trust anchor) and tenant-<slug>.pem (one CA per tenant)")
    ("default-tenant", po::value(&f.default_tenant)->default_value("default"),
     "tenant of certificates whose CN has no tenant label (the upstream 3-part form)")
    ("config-dir", po::value(&f.config_dir)->required(), "tenant stores: <tenant>.json each")
    ("data-dir", po::value(&f.data_dir),
     "where the canonical inventory lives (inventory.db, SQLite); required unless --no-inventory")
    ("no-inventory", po::bool_switch(&f.no_inventory),
     "keep no inventory (benchmarks of the agent alone; needs --sink-dir)")
    ("sink-dir", po::value(&f.sink_dir),
     "optional raw record of accepted streams: <tenant>/<agent>-<seq>.ndjson each (tests, debugging)")
    ("gateway-id", po::value(&f.gateway.gateway_id)->default_value("agent-gateway-ref"),
     "gateway_id sent in Hello answers");
}

void describe_tuning(po::options_description& opts, Flags& f) {
  auto& g = f.gateway;
  opts.add_options()
    ("heartbeat-interval", po::value(&g.intervals.heartbeat_interval_sec)->default_value(30),
     "heartbeat_interval_sec sent to agents")
    ("config-poll-interval", po::value(&g.intervals.config_poll_interval_sec)->default_value(300),
     "config_poll_interval_sec sent to agents")
    ("store-poll-ms", po::value(&f.store_poll_ms)->default_value(1000),
     "how often the config store is checked for edits")
    ("sink-delay-ms", po::value(&f.sink_delay_ms)->default_value(0),
     "test hook: wait this long after each chunk, as a slow sink would")
    ("ingest-delay-ms", po::value(&f.ingest_delay_ms)->default_value(0),
     "test hook: wait this long before each inventory write, as a slow database would")
    ("threads", po::value(&f.threads)->default_value(1), "io_context threads")
    ("max-calls", po::value(&g.calls.max_calls)->default_value(g.calls.max_calls),
     "concurrent gRPC calls of the whole gateway; beyond: RESOURCE_EXHAUSTED")
    ("max-calls-per-agent", po::value(&g.calls.max_calls_per_agent)->default_value(g.calls.max_calls_per_agent),
     "concurrent gRPC calls of one agent (its certificate); beyond: RESOURCE_EXHAUSTED")
    ("first-message-timeout-ms", po::value(&f.first_message_timeout_ms)->default_value(f.first_message_timeout_ms),
     "a stream whose first message (ControlStream hello, first StreamStatus chunk) is later is ended")
    ("grpc-memory-quota-mib", po::value(&f.grpc_memory_mib)->default_value(f.grpc_memory_mib),
     "memory gRPC may use for connections and calls (its ResourceQuota)")
    ("allow-core-dumps", po::bool_switch(&f.allow_core_dumps),
     "debugging: keep core dumps possible (also SR_ALLOW_CORE_DUMPS=1); by default the process, "
     "which holds a private key, is not dumpable")
    ("shutdown-grace", po::value(&f.shutdown_grace_s)->default_value(5),
     "seconds calls may take to finish on SIGTERM/SIGINT");
}

// Why the flags cannot run together, or "" when they can.
std::string flags_refused(const Flags& f) {
  if (f.threads < 1 || f.threads > 64) return fmt::format("--threads must be 1..64, not {}", f.threads);
  if (f.data_dir.empty() == !f.no_inventory)
    return fmt::format("give --data-dir (the inventory) or --no-inventory, not {}",
                       f.no_inventory ? "both" : "neither");
  if (f.default_tenant == kPlatformTenant)
    return "--default-tenant 'platform' is refused: tenant 'platform' is reserved "
           "for the platform's own identities and cannot be issued to agents";
  if (f.first_message_timeout_ms < 1 || f.gateway.calls.max_calls < 1 || f.gateway.calls.max_calls_per_agent < 1 ||
      f.grpc_memory_mib < 16)
    return "--first-message-timeout-ms, --max-calls and --max-calls-per-agent must be "
           "at least 1, --grpc-memory-quota-mib at least 16";
  if (f.no_inventory && f.sink_dir.empty()) return "--no-inventory needs --sink-dir: streams must be kept somewhere";
  return {};
}

std::optional<Flags> parse_flags(int argc, char** argv) {
  Flags f;
  po::options_description opts("Options");
  describe_paths(opts, f);
  describe_tuning(opts, f);
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, opts), vm);
    if (vm.count("help")) {
      std::cout << "Usage: agent-gateway --cert F --key F --ca-dir D --config-dir D --data-dir D"
                   " [OPTIONS]\n\n"
                << opts << "\nEnvironment: GRPC_MAX_RECV_MSG_SIZE, GRPC_MAX_SEND_MSG_SIZE "
                           "(bytes, or with a suffix such as 8MB)\n";
      std::exit(0);
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "agent-gateway: " << e.what() << " (try --help)\n";
    return std::nullopt;
  }
  if (auto why = flags_refused(f); !why.empty()) {
    std::cerr << "agent-gateway: " << why << "\n";
    return std::nullopt;
  }
  f.gateway.first_message_timeout = std::chrono::milliseconds(f.first_message_timeout_ms);
  f.gateway.intake.sink_delay = std::chrono::milliseconds(f.sink_delay_ms);
  return f;
}

// The default receive limit, explicit so a gRPC upgrade cannot change it:
// what one partial message may make the gateway hold per stream.
constexpr int kDefaultMaxRecvBytes = 4 << 20;
// What GRPC_MAX_RECV_MSG_SIZE may raise it to (the contract's 15 MiB results fit).
constexpr std::uint64_t kMaxRecvCeiling = 64ull << 20;

// GRPC_MAX_RECV_MSG_SIZE / GRPC_MAX_SEND_MSG_SIZE, as the upstream gateway honours them.
std::optional<int> message_size_from_env(const char* name, std::uint64_t ceiling) {
  const auto text = sr::base::env_text(name);
  if (!text) return std::nullopt;
  const char* raw = text->c_str();
  auto bytes = sr::base::parse_size_text(*text);
  if (!bytes || *bytes > static_cast<std::uint64_t>(std::numeric_limits<int>::max()))
    throw std::runtime_error(std::string(name) + "='" + raw +
                             "' is not a size (bytes, or a number with B, KB, MB or GB)");
  if (*bytes > ceiling)
    throw std::runtime_error(fmt::format("{}='{}' is above the gateway's ceiling of {} MiB", name, raw,
                                         ceiling >> 20));
  return static_cast<int>(*bytes);
}

// mTLS, required and verified in the handshake: a client without a
// certificate of our PKI never reaches a handler (nothing in the wire
// contract is meant for one). Trust: the root, plus the tenant CAs so a
// client that sends only its leaf still verifies; the ClientVerifier then
// checks tenant, CN/SAN and component type on every call.
std::shared_ptr<grpc::ServerCredentials> server_credentials(const Flags& f) {
  grpc::SslServerCredentialsOptions ssl(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  ssl.pem_root_certs = sr::base::read_file_or_throw(f.ca_dir + "/root.pem");
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(f.ca_dir, ec)) {
    const auto name = entry.path().filename().string();
    if (name.rfind("tenant-", 0) == 0 && entry.path().extension() == ".pem")
      ssl.pem_root_certs += "\n" + sr::base::read_file_or_throw(entry.path());
  }
  if (ec) throw std::runtime_error("cannot list " + f.ca_dir + ": " + ec.message());
  ssl.pem_key_cert_pairs.push_back({sr::base::read_file_or_throw(f.key), sr::base::read_file_or_throw(f.cert)});
  return grpc::SslServerCredentials(ssl);
}

// Connection-level bounds against peers that hold resources without using
// them. The real agent pings every 30 s with permit-without-calls and keeps
// a ControlStream open, which is within every bound here.
void bound_connections(grpc::ServerBuilder& builder, const Flags& f) {
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, 32);  // per connection
  builder.AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS, 10'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10'000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 2);
  // Idle = no call at all: an agent always has its ControlStream open. No
  // max age: it would cut that long-lived stream and make agents back off.
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS, 5 * 60 * 1000);
  builder.SetMaxReceiveMessageSize(kDefaultMaxRecvBytes);
  if (auto n = message_size_from_env("GRPC_MAX_RECV_MSG_SIZE", kMaxRecvCeiling)) builder.SetMaxReceiveMessageSize(*n);
  if (auto n = message_size_from_env("GRPC_MAX_SEND_MSG_SIZE", std::numeric_limits<int>::max()))
    builder.SetMaxSendMessageSize(*n);
  grpc::ResourceQuota quota("agent-gateway");
  quota.Resize(f.grpc_memory_mib << 20);
  quota.SetMaxThreads(64);
  builder.SetResourceQuota(quota);
}

// Checks the store for edits and pushes changed configs to open streams.
asio::awaitable<void> watch_store(ControlHub& hub, const ConfigStore& store,
                                  std::chrono::milliseconds every) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  std::set<std::string> reported;
  for (;;) {
    for (const auto& tenant : hub.reload_store())
      log::info({}, fmt::format("config store: tenant '{}' changed", tenant));
    std::set<std::string> now;
    for (auto& e : store.errors()) {
      if (!reported.count(e)) log::warn({}, fmt::format("config store: {}", e));
      now.insert(std::move(e));
    }
    reported = std::move(now);
    timer.expires_after(every);
    co_await timer.async_wait(asio::use_awaitable);
  }
}

// The canonical inventory: a writer (behind the ingestion queue) and a
// reader connection for the HTTP endpoint (WAL lets it read while the
// writer writes).
struct Inventory {
  std::unique_ptr<inventory::InventoryStore> writer, reader;
  std::unique_ptr<inventory::Ingestor> ingestor;
  std::mutex reader_mu;

  std::string open(const std::string& dir, std::chrono::milliseconds write_delay) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return "data dir " + dir + ": " + ec.message();
    const auto file = std::filesystem::path(dir) / "inventory.db";
    auto w = inventory::InventoryStore::open(file);
    if (!w) return w.error();
    auto r = inventory::InventoryStore::open(file);
    if (!r) return r.error();
    writer = std::move(*w);
    reader = std::move(*r);
    std::vector<std::string> warnings;
    auto options = inventory::IngestorOptions::from_environment(warnings);
    for (const auto& w : warnings) log::warn({}, w);
    if (write_delay.count() > 0)
      options.before_write = [write_delay] { std::this_thread::sleep_for(write_delay); };  // the writer's own thread
    ingestor = std::make_unique<inventory::Ingestor>(*writer, options);
    log::info({}, fmt::format("inventory: {} (coalesce {} ms, queue {} chunks, {} in flight)", file.string(),
                              options.coalesce.count(), options.queue_max_chunks, options.max_inflight));
    return {};
  }

  // The HTTP endpoint's reads, on the view's own thread (see inventory_view.hpp).
  std::unique_ptr<InventoryView> view;

  void open_view() {
    view = std::make_unique<InventoryView>(
        [this] {  // changes on every commit (and every failed write)
          const auto c = ingestor->counters();
          return c.transactions + c.write_errors;
        },
        [this] { return tenants_json(); });
  }

  // {"<t>": {"devices", "by_source": {...}, "unavailable", "deleted"}}, from one read transaction.
  std::map<std::string, boost::json::object> tenants_json() {
    std::map<std::string, boost::json::object> tenants;
    std::lock_guard lock(reader_mu);
    for (const auto& [t, summary] : reader->summary()) {
      boost::json::object by_source;
      for (const auto& [source, n] : summary.by_source) by_source[source] = n;
      tenants[t] = {{"devices", summary.devices},
                    {"by_source", std::move(by_source)},
                    {"unavailable", summary.unavailable},
                    {"deleted", summary.deleted}};
    }
    return tenants;
  }

  boost::json::object ingest_json() const {
    const auto c = ingestor->counters();
    return {{"chunks_queued", c.chunks_queued},       {"chunks_written", c.chunks_written},
            {"pushes_delayed", c.pushes_delayed},
            {"transactions", c.transactions},         {"devices_written", c.devices_written},
            {"write_errors", c.write_errors},         {"queue_depth", c.queue_depth},
            {"max_queue_depth", c.max_queue_depth},   {"created", c.totals.created},
            {"merged", c.totals.merged},              {"rebound", c.totals.rebound},
            {"ip_remapped", c.totals.ip_remapped},    {"last_error", c.last_error}};
  }
};

// The HTTP endpoint: status page, health, /status, /inventory and the admin API.
void add_routes(sr::net::http::Server& http, GatewayState& state, Inventory& inventory, ControlHub& hub,
                const AdminToken& admin_token) {
  using sr::net::http::Request;
  using sr::net::http::Response;
  http.route("/", [](const Request&) {
    return Response{200, "text/html; charset=utf-8", std::string(status_page_html())};
  });
  http.route("/healthz", [](const Request&) { return Response{200, "application/json", R"({"status":"ok"})"}; });
  http.route("/status", [&state](const Request&) {
    return Response{200, "application/json", state.status_json(sr::base::unix_now())};
  });
  if (inventory.view)
    http.route("/inventory", [&inventory, &admin_token](const Request& req) {
      if (auto refusal = refuse_unauthorised(admin_token, req)) return *refusal;
      std::string error;
      auto page = parse_inventory_page(req.target, error);
      if (!page)
        return Response{400, "application/json",
                        boost::json::serialize(boost::json::object{{"error", "GET /inventory: " + error}})};
      return inventory.view->answer(*page, inventory.ingest_json());
    }, sr::net::http::Server::Methods::read, admin_gate(admin_token));
  add_admin_routes(http, hub, admin_token);
  add_source_routes(http, hub, state, admin_token);
}

// The gateway's parts, wired in the order they depend on each other.
struct Gateway {
  explicit Gateway(const Flags& f)
      : pool(f.threads),
        work(asio::make_work_guard(pool.executor())),
        verifier(f.ca_dir, f.default_tenant),
        store(f.config_dir),
        admin_token(f.admin_token_file.empty() ? AdminToken{} : AdminToken::from_file(f.admin_token_file)),
        hub(pool.executor(), store, state, f.gateway.intervals) {
    if (!f.sink_dir.empty()) sink.emplace(f.sink_dir);
    intake.emplace(sink ? &*sink : nullptr, state, f.gateway.intake);
    service.emplace(pool.executor(), f.gateway, verifier, hub, *intake, state);
    hub.reload_store();
  }

  sr::net::IoPool pool;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  ClientVerifier verifier;
  ConfigStore store;
  std::optional<TenantSink> sink;
  GatewayState state;
  const AdminToken admin_token;
  ControlHub hub;
  std::optional<ChunkIntake> intake;
  std::optional<GatewayService> service;
  Inventory inventory;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<sr::net::http::Server> http;
};

// gRPC on --listen; the port it got (0: it could not listen).
int start_grpc(Gateway& g, const Flags& f) {
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(f.listen, server_credentials(f), &port);
  builder.RegisterService(&*g.service);
  bound_connections(builder, f);
  g.server = builder.BuildAndStart();
  return g.server ? port : 0;
}

// "" or why the HTTP endpoint did not start.
std::string start_http(Gateway& g, const Flags& f) {
  if (f.http_listen.empty()) return {};
  sr::net::http::ServerOptions hopts;
  hopts.listen = f.http_listen;
  g.http = std::make_unique<sr::net::http::Server>(g.pool.executor(), hopts);
  add_routes(*g.http, g.state, g.inventory, g.hub, g.admin_token);
  return g.http->start();
}

// SIGTERM/SIGINT: calls get the grace to finish, queued inventory writes are done.
void stop(Gateway& g, const Flags& f, const std::function<void()>& stop_watching) {
  g.server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(f.shutdown_grace_s));
  stop_watching();
  if (g.http) {
    std::promise<void> http_stopped;
    g.http->stop([&] { http_stopped.set_value(); });
    http_stopped.get_future().get();
  }
  g.work.reset();
  g.pool.join();
  g.inventory.view.reset();  // its reader thread is done before the stores close
  if (g.inventory.ingestor) g.inventory.ingestor->stop();  // what is queued is written
}

int run(const Flags& f) {
  Gateway g(f);
  if (!f.data_dir.empty()) {
    if (auto err = g.inventory.open(f.data_dir, std::chrono::milliseconds(f.ingest_delay_ms)); !err.empty()) {
      log::error({}, err);
      return 1;
    }
    g.intake->set_ingestor(g.inventory.ingestor.get());
    g.inventory.open_view();
  }
  const int port = start_grpc(g, f);
  if (port == 0) {
    log::error({}, fmt::format("cannot listen on {} for gRPC", f.listen));
    return 1;
  }
  g.pool.start();
  if (auto err = start_http(g, f); !err.empty()) {
    log::error({}, fmt::format("status endpoint: {}", err));
    g.server->Shutdown();
    g.work.reset();
    g.pool.stop();
    return 1;
  }

  // On a strand of its own: the stop signal is emitted there too, where
  // co_spawn's cancellation runs inline (Boost 1.81 is unsafe otherwise).
  auto watch_strand = asio::make_strand(g.pool.executor());
  asio::cancellation_signal stop_watch;
  asio::co_spawn(watch_strand, watch_store(g.hub, g.store, std::chrono::milliseconds(f.store_poll_ms)),
                 asio::bind_cancellation_slot(stop_watch.slot(), asio::detached));

  std::promise<int> stop_requested;
  asio::signal_set signals(g.pool.executor(), SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int sig) {
    if (!ec) stop_requested.set_value(sig);
  });

  const std::string grpc_addr = f.listen.substr(0, f.listen.rfind(':')) + ":" + std::to_string(port);
  fmt::print("agent-gateway ready grpc={} http={} tenants={}\n", grpc_addr, g.http ? g.http->address() : "off",
             g.verifier.tenant_count());
  std::fflush(stdout);

  const int sig = stop_requested.get_future().get();
  log::info({}, fmt::format("signal {}: stopping (grace {} s)", sig, f.shutdown_grace_s));
  stop(g, f, [&] { asio::post(watch_strand, [&] { stop_watch.emit(asio::cancellation_type::all); }); });
  log::info({}, "stopped");
  return 0;
}

}  // namespace

namespace {

// The gateway holds its TLS private key in memory: no core file, no ptrace
// by other processes of the same user, unless asked for while debugging.
void protect_memory(bool allow_core_dumps) {
  if (allow_core_dumps || sr::base::core_dumps_allowed(std::getenv("SR_ALLOW_CORE_DUMPS"))) {
    log::warn({}, "core dumps allowed (--allow-core-dumps / SR_ALLOW_CORE_DUMPS=1): a dump holds the private key");
    return;
  }
  sr::base::HardeningReport report;
  sr::base::disable_core_dumps(report);
  for (const auto& w : report.warnings) log::warn({}, w);
}

}  // namespace

int main(int argc, char** argv) {
  // Two malloc arenas, as in the agent: chunk-sized buffers freed on many
  // gRPC threads otherwise stay cached per thread and inflate RSS.
  ::mallopt(M_ARENA_MAX, 2);
  auto flags = parse_flags(argc, argv);
  if (!flags) return kUsage;
  protect_memory(flags->allow_core_dumps);
  try {
    return run(*flags);
  } catch (const std::exception& e) {
    log::error({}, e.what());
    return 1;
  }
}
