// fake-inventory: Armis- and NetBox-shaped APIs over real HTTPS, serving the
// faker inventory (same seed, same devices as a faker source), with fault
// injection. For tests, the demo, the soak and the benchmark.
//   fake-inventory --cert F --key F [--listen 127.0.0.1:0] [--devices N] ...
//   fake-inventory --plain [--listen 127.0.0.1:0] ...   (plain HTTP)
// Prints "fake-inventory ready https=HOST:PORT" (with --plain:
// "fake-inventory ready http=HOST:PORT") once listening; stops on SIGTERM/SIGINT.
#include "net/io_pool.hpp"
#include "tools/fake-inventory/apis/armis_api.hpp"
#include "tools/fake-inventory/apis/netbox_api.hpp"
#include "tools/fake-inventory/server/https_server.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/program_options.hpp>
#include <fmt/format.h>

#include <csignal>
#include <future>
#include <iostream>
#include <optional>

namespace {

namespace asio = boost::asio;
namespace po = boost::program_options;

struct Flags {
  sr::fake::HttpsServerOptions server;
  sr::fake::ArmisApiOptions armis;
  sr::fake::NetboxApiOptions netbox;
  unsigned threads = 1;
};

// Inventory and fault settings shared by both APIs, read as flags.
struct Knobs {
  std::uint64_t devices = 50'000, seed = 1, epoch = 0, first_slot = 0;
  std::uint64_t rate_limit = 0, errors = 0, resets = 0, malformed = 0;
  int retry_after = 1, slow_ms = 0, latency_ms = 0;
  std::size_t cache_mb = 0;
};

void describe_server(po::options_description& opts, Flags& f, Knobs& k) {
  opts.add_options()
    ("help,h", "print this help and exit")
    ("listen", po::value(&f.server.listen)->default_value("127.0.0.1:0"),
     "host:port (port 0: chosen by the OS, printed on the ready line)")
    ("cert", po::value(&f.server.cert_file), "server certificate chain (PEM); required unless --plain")
    ("key", po::value(&f.server.key_file), "server private key (PEM); required unless --plain")
    ("plain", po::bool_switch(&f.server.plain),
     "serve plain HTTP instead of HTTPS (the ready line says http=HOST:PORT)")
    ("threads", po::value(&f.threads)->default_value(1), "io_context threads")
    ("latency-ms", po::value(&k.latency_ms)->default_value(0),
     "wait this long before every response header (WAN latency; requests in flight wait concurrently)")
    ("devices", po::value(&k.devices)->default_value(50'000), "inventory size")
    ("seed", po::value(&k.seed)->default_value(1), "inventory seed (a faker source's seed)")
    ("epoch", po::value(&k.epoch)->default_value(0), "churn epoch the APIs show")
    ("first-slot", po::value(&k.first_slot)->default_value(0),
     "device i takes IP slot N + i (other boxes, same ids 1..N; both APIs)");
}

void describe_apis(po::options_description& opts, Flags& f, Knobs& k) {
  opts.add_options()
    ("armis-api-key", po::value(&f.armis.api_key)->default_value("demo-api-key"),
     "Armis JSON auth: accepted api_key")
    ("armis-api-secret", po::value(&f.armis.api_secret)->default_value("demo-api-secret"),
     "Armis JSON auth: accepted api_secret")
    ("armis-secret-key", po::value(&f.armis.secret_key)->default_value(""),
     "Armis form auth: accepted secret_key (empty: form auth refused)")
    ("armis-token-uses", po::value(&f.armis.token_uses)->default_value(0),
     "an Armis token expires after this many searches (0: never)")
    ("armis-max-page", po::value(&f.armis.max_page)->default_value(10'000), "largest Armis page")
    ("netbox-token", po::value(&f.netbox.token)->default_value("demo-netbox-token"),
     "NetBox token (nbt_... is a v2 Bearer token)")
    ("netbox-relative-next", po::bool_switch(&f.netbox.relative_next), "relative next links")
    ("netbox-next-origin", po::value(&f.netbox.next_origin)->default_value(""),
     "scheme://host[:port] of NetBox next links instead of the request's own "
     "(as behind a TLS-terminating proxy)")
    ("rate-limit-every", po::value(&k.rate_limit)->default_value(0), "fault: every Nth page is a 429")
    ("retry-after", po::value(&k.retry_after)->default_value(1), "Retry-After of those 429s (s)")
    ("error-every", po::value(&k.errors)->default_value(0), "fault: every Nth page is a 500")
    ("reset-every", po::value(&k.resets)->default_value(0), "fault: every Nth body is cut (TCP dropped)")
    ("malformed-every", po::value(&k.malformed)->default_value(0), "fault: every Nth page is invalid JSON")
    ("endless", po::bool_switch(&f.armis.endless), "fault: Armis next always equals from")
    ("huge-body", po::value(&f.armis.huge_body_bytes)->default_value(0),
     "fault: pad each Armis page with this many bytes")
    ("slow-ms", po::value(&k.slow_ms)->default_value(0), "fault: pause between 64 KiB body pieces")
    ("gzip", po::bool_switch(&f.armis.gzip), "gzip Armis pages when the client accepts it")
    ("page-cache-mb", po::value(&k.cache_mb)->default_value(0),
     "keep rendered Armis pages in memory up to this many MiB (benchmarks: serve at network speed)");
}

// The knobs into both APIs' options; "" or what is wrong.
std::string apply(const Knobs& k, Flags& f) {
  if (!f.server.plain && (f.server.cert_file.empty() || f.server.key_file.empty()))
    return "--cert and --key are required (or --plain for plain HTTP)";
  if (!f.netbox.next_origin.empty())
    if (auto e = sr::fake::check_next_origin(f.netbox.next_origin); !e.empty()) return "--netbox-next-origin " + e;
  f.armis.inventory = f.netbox.inventory = {k.devices, k.seed, 0.05, k.first_slot};
  if (auto e = sr::contract::faker::check_slots(f.armis.inventory); !e.empty())
    return "--devices and --first-slot: " + e;
  f.armis.epoch = f.netbox.epoch = k.epoch;
  f.armis.rate_limit_every = f.netbox.rate_limit_every = k.rate_limit;
  f.armis.retry_after_seconds = f.netbox.retry_after_seconds = k.retry_after;
  f.armis.error_every = f.netbox.error_every = k.errors;
  f.armis.reset_every = f.netbox.reset_every = k.resets;
  f.armis.malformed_every = f.netbox.malformed_every = k.malformed;
  if (k.latency_ms < 0 || k.latency_ms > 600'000)
    return "--latency-ms must be from 0 to 600000, not " + std::to_string(k.latency_ms);
  f.server.latency = std::chrono::milliseconds(k.latency_ms);
  f.armis.piece_pause = std::chrono::milliseconds(k.slow_ms);
  f.armis.page_cache_bytes = k.cache_mb << 20;
  return {};
}

std::optional<Flags> parse_flags(int argc, char** argv) {
  Flags f;
  Knobs k;
  po::options_description opts("Options");
  describe_server(opts, f, k);
  describe_apis(opts, f, k);
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, opts), vm);
    if (vm.count("help")) {
      std::cout << "Usage: fake-inventory --cert F --key F [OPTIONS]\n"
                   "       fake-inventory --plain [OPTIONS]\n\n"
                   "Serves POST /api/v1/access_token/ and GET /api/v1/search/ (Armis) and\n"
                   "GET /api/dcim/devices/ (NetBox) from the faker inventory.\n\n"
                << opts;
      std::exit(0);
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "fake-inventory: " << e.what() << " (try --help)\n";
    return std::nullopt;
  }
  if (auto why = apply(k, f); !why.empty()) {
    std::cerr << "fake-inventory: " << why << " (try --help)\n";
    return std::nullopt;
  }
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  auto flags = parse_flags(argc, argv);
  if (!flags) return 64;
  sr::fake::ArmisApi armis(flags->armis);
  sr::fake::NetboxApi netbox(flags->netbox);
  sr::net::IoPool pool(flags->threads);
  auto work = asio::make_work_guard(pool.executor());
  sr::fake::HttpsServer server(pool.executor(), flags->server,
                               [&](const sr::fake::ServerRequest& r) {
                                 if (r.target.starts_with("/api/dcim/")) return netbox.handle(r);
                                 return armis.handle(r);
                               });
  if (auto err = server.start(); !err.empty()) {
    std::cerr << "fake-inventory: " << err << "\n";
    return 1;
  }
  std::promise<int> stop;
  asio::signal_set signals(pool.executor(), SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int sig) {
    if (!ec) stop.set_value(sig);
  });
  pool.start();
  const auto host = flags->server.listen.substr(0, flags->server.listen.rfind(':'));
  fmt::print("fake-inventory ready {}={}:{} devices={}\n", flags->server.plain ? "http" : "https",
             host, server.port(), flags->armis.inventory.total_devices);
  std::fflush(stdout);
  stop.get_future().get();
  std::promise<void> stopped;
  server.stop([&] { stopped.set_value(); });
  stopped.get_future().get();
  fmt::print(stderr, "fake-inventory: stopped after {} requests ({} Armis searches, {} NetBox pages)\n",
             server.requests(), armis.searches(), netbox.requests());
  work.reset();
  pool.join();
  return 0;
}
