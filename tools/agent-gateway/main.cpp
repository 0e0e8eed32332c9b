// agent-gateway: the reference ServiceRadar agent-gateway for tests, the demo
// and benchmarks. See tools/agent-gateway/README.md.
#include "net/http/server.hpp"
#include "net/io_pool.hpp"
#include "net/read_file.hpp"
#include "tools/agent-gateway/admin/admin_routes.hpp"
#include "tools/agent-gateway/admin/source_routes.hpp"
#include "tools/agent-gateway/config/size_suffix.hpp"
#include "tools/agent-gateway/gateway_service.hpp"
#include "tools/agent-gateway/log.hpp"
#include "tools/agent-gateway/status/status_page.hpp"
#include "tools/agent-gateway/unix_clock.hpp"

#include <malloc.h>
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
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <mutex>
#include <set>
#include <thread>

namespace {

namespace asio = boost::asio;
namespace po = boost::program_options;
using namespace sr::gateway;

struct Flags {
  std::string listen, http_listen, cert, key, ca_dir, config_dir, sink_dir, data_dir, default_tenant,
      admin_token_file;
  GatewayOptions gateway;
  bool no_inventory = false;
  unsigned threads = 1;
  int store_poll_ms = 1000, sink_delay_ms = 0, ingest_delay_ms = 0, shutdown_grace_s = 5;
};

constexpr int kUsage = 64;

std::optional<Flags> parse_flags(int argc, char** argv) {
  Flags f;
  po::options_description opts("Options");
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
     "gateway_id sent in Hello answers")
    ("heartbeat-interval", po::value(&f.gateway.heartbeat_interval_sec)->default_value(30),
     "heartbeat_interval_sec sent to agents")
    ("config-poll-interval", po::value(&f.gateway.config_poll_interval_sec)->default_value(300),
     "config_poll_interval_sec sent to agents")
    ("store-poll-ms", po::value(&f.store_poll_ms)->default_value(1000),
     "how often the config store is checked for edits")
    ("sink-delay-ms", po::value(&f.sink_delay_ms)->default_value(0),
     "test hook: wait this long after each chunk, as a slow sink would")
    ("ingest-delay-ms", po::value(&f.ingest_delay_ms)->default_value(0),
     "test hook: wait this long before each inventory write, as a slow database would")
    ("threads", po::value(&f.threads)->default_value(1), "io_context threads")
    ("shutdown-grace", po::value(&f.shutdown_grace_s)->default_value(5),
     "seconds calls may take to finish on SIGTERM/SIGINT");
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
  if (f.threads < 1 || f.threads > 64) {
    std::cerr << "agent-gateway: --threads must be 1..64, not " << f.threads << "\n";
    return std::nullopt;
  }
  if (f.data_dir.empty() == !f.no_inventory) {
    std::cerr << "agent-gateway: give --data-dir (the inventory) or --no-inventory, not "
              << (f.no_inventory ? "both" : "neither") << "\n";
    return std::nullopt;
  }
  if (f.no_inventory && f.sink_dir.empty()) {
    std::cerr << "agent-gateway: --no-inventory needs --sink-dir: streams must be kept somewhere\n";
    return std::nullopt;
  }
  f.gateway.sink_delay = std::chrono::milliseconds(f.sink_delay_ms);
  return f;
}

// GRPC_MAX_RECV_MSG_SIZE / GRPC_MAX_SEND_MSG_SIZE, as the upstream gateway honours them.
std::optional<int> message_size_from_env(const char* name) {
  const char* raw = std::getenv(name);
  if (!raw || !*raw) return std::nullopt;
  auto bytes = parse_byte_size(raw);
  if (!bytes || *bytes > static_cast<std::uint64_t>(std::numeric_limits<int>::max()))
    throw std::runtime_error(std::string(name) + "='" + raw +
                             "' is not a size (bytes, or a number with B, KB, MB or GB)");
  return static_cast<int>(*bytes);
}

std::shared_ptr<grpc::ServerCredentials> server_credentials(const Flags& f) {
  grpc::SslServerCredentialsOptions ssl(
      GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_BUT_DONT_VERIFY);
  ssl.pem_root_certs = sr::net::read_file_or_throw(f.ca_dir + "/root.pem");
  ssl.pem_key_cert_pairs.push_back({sr::net::read_file_or_throw(f.key), sr::net::read_file_or_throw(f.cert)});
  return grpc::SslServerCredentials(ssl);
}

// Checks the store for edits and pushes changed configs to open streams.
asio::awaitable<void> watch_store(GatewayService& service, const ConfigStore& store,
                                  std::chrono::milliseconds every) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  std::set<std::string> reported;
  for (;;) {
    for (const auto& tenant : service.reload_store())
      log("info", "config store: tenant '{}' changed", tenant);
    std::set<std::string> now;
    for (auto& e : store.errors()) {
      if (!reported.count(e)) log("warn", "config store: {}", e);
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
    for (const auto& w : warnings) log("warn", "{}", w);
    if (write_delay.count() > 0)
      options.before_write = [write_delay] { std::this_thread::sleep_for(write_delay); };  // the writer's own thread
    ingestor = std::make_unique<inventory::Ingestor>(*writer, options);
    log("info", "inventory: {} (coalesce {} ms, queue {} chunks, {} in flight)", file.string(),
        options.coalesce.count(), options.queue_max_chunks, options.max_inflight);
    return {};
  }

  // {"tenants": {"<t>": {"devices", "by_source": {...}, "unavailable", "deleted"}}, "ingest": {...}}
  std::string summary_json() {
    // Counters first: whatever they say is written, the snapshot read after includes.
    const auto c = ingestor->counters();
    boost::json::object tenants;
    {
      std::lock_guard lock(reader_mu);
      for (const auto& [t, summary] : reader->summary()) {
        boost::json::object by_source;
        for (const auto& [source, n] : summary.by_source) by_source[source] = n;
        tenants[t] = {{"devices", summary.devices},
                      {"by_source", std::move(by_source)},
                      {"unavailable", summary.unavailable},
                      {"deleted", summary.deleted}};
      }
    }
    boost::json::object ingest{{"chunks_queued", c.chunks_queued},       {"chunks_written", c.chunks_written},
                               {"pushes_delayed", c.pushes_delayed},
                               {"transactions", c.transactions},         {"devices_written", c.devices_written},
                               {"write_errors", c.write_errors},         {"queue_depth", c.queue_depth},
                               {"max_queue_depth", c.max_queue_depth},   {"created", c.totals.created},
                               {"merged", c.totals.merged},              {"rebound", c.totals.rebound},
                               {"ip_remapped", c.totals.ip_remapped},    {"last_error", c.last_error}};
    return boost::json::serialize(boost::json::object{{"tenants", std::move(tenants)}, {"ingest", std::move(ingest)}});
  }
};

int run(const Flags& f) {
  sr::net::IoPool pool(f.threads);
  auto work = asio::make_work_guard(pool.executor());
  ClientVerifier verifier(f.ca_dir, f.default_tenant);
  ConfigStore store(f.config_dir);
  std::optional<TenantSink> sink;
  if (!f.sink_dir.empty()) sink.emplace(f.sink_dir);
  GatewayState state;
  const AdminToken admin_token =
      f.admin_token_file.empty() ? AdminToken{} : AdminToken::from_file(f.admin_token_file);
  GatewayService service(pool.executor(), f.gateway, verifier, store, sink ? &*sink : nullptr, state);
  service.reload_store();
  Inventory inventory;
  if (!f.data_dir.empty()) {
    if (auto err = inventory.open(f.data_dir, std::chrono::milliseconds(f.ingest_delay_ms)); !err.empty()) {
      log("error", "{}", err);
      return 1;
    }
    service.set_ingestor(inventory.ingestor.get());
  }

  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(f.listen, server_credentials(f), &port);
  builder.RegisterService(&service);
  if (auto n = message_size_from_env("GRPC_MAX_RECV_MSG_SIZE")) builder.SetMaxReceiveMessageSize(*n);
  if (auto n = message_size_from_env("GRPC_MAX_SEND_MSG_SIZE")) builder.SetMaxSendMessageSize(*n);
  auto server = builder.BuildAndStart();
  if (!server || port == 0) {
    log("error", "cannot listen on {} for gRPC", f.listen);
    return 1;
  }
  pool.start();

  std::unique_ptr<sr::net::http::Server> http;
  if (!f.http_listen.empty()) {
    sr::net::http::ServerOptions hopts;
    hopts.listen = f.http_listen;
    http = std::make_unique<sr::net::http::Server>(pool.executor(), hopts);
    http->route("/", [](const sr::net::http::Request&) {
      return sr::net::http::Response{200, "text/html; charset=utf-8", std::string(status_page_html())};
    });
    http->route("/healthz", [](const sr::net::http::Request&) {
      return sr::net::http::Response{200, "application/json", R"({"status":"ok"})"};
    });
    http->route("/status", [&state](const sr::net::http::Request&) {
      return sr::net::http::Response{200, "application/json", state.status_json(unix_now())};
    });
    if (inventory.ingestor)
      http->route("/inventory", [&inventory](const sr::net::http::Request&) {
        return sr::net::http::Response{200, "application/json", inventory.summary_json()};
      });
    add_admin_routes(*http, service, admin_token);
    add_source_routes(*http, service, state, admin_token);
    if (auto err = http->start(); !err.empty()) {
      log("error", "status endpoint: {}", err);
      server->Shutdown();
      work.reset();
      pool.stop();
      return 1;
    }
  }

  // On a strand of its own: the stop signal is emitted there too, where
  // co_spawn's cancellation runs inline (Boost 1.81 is unsafe otherwise).
  auto watch_strand = asio::make_strand(pool.executor());
  asio::cancellation_signal stop_watch;
  asio::co_spawn(watch_strand,
                 watch_store(service, store, std::chrono::milliseconds(f.store_poll_ms)),
                 asio::bind_cancellation_slot(stop_watch.slot(), asio::detached));

  std::promise<int> stop_requested;
  asio::signal_set signals(pool.executor(), SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int sig) {
    if (!ec) stop_requested.set_value(sig);
  });

  const std::string grpc_addr = f.listen.substr(0, f.listen.rfind(':')) + ":" + std::to_string(port);
  fmt::print("agent-gateway ready grpc={} http={} tenants={}\n", grpc_addr,
             http ? http->address() : "off", verifier.tenant_count());
  std::fflush(stdout);

  const int sig = stop_requested.get_future().get();
  log("info", "signal {}: stopping (grace {} s)", sig, f.shutdown_grace_s);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(f.shutdown_grace_s));
  asio::post(watch_strand, [&] { stop_watch.emit(asio::cancellation_type::all); });
  if (http) {
    std::promise<void> http_stopped;
    http->stop([&] { http_stopped.set_value(); });
    http_stopped.get_future().get();
  }
  work.reset();
  pool.join();
  if (inventory.ingestor) inventory.ingestor->stop();  // what is queued is written
  log("info", "stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Two malloc arenas, as in the agent: chunk-sized buffers freed on many
  // gRPC threads otherwise stay cached per thread and inflate RSS.
  ::mallopt(M_ARENA_MAX, 2);
  auto flags = parse_flags(argc, argv);
  if (!flags) return kUsage;
  try {
    return run(*flags);
  } catch (const std::exception& e) {
    log("error", "{}", e.what());
    return 1;
  }
}
