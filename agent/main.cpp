// serviceradar-agent: enrols with the agent-gateway, runs the integration
// sources its config names and streams their devices to the gateway.
//
//   serviceradar-agent [run]        foreground; the container entrypoint
//   serviceradar-agent check-config validate the bootstrap and certificates
//   serviceradar-agent sync --once --sources FILE [--out FILE|-]
//                                   run sources locally, no gateway
//   serviceradar-agent version
//
// This file reads the command line and dispatches; the commands live in
// agent/app/ (run, check-config: the AgentApp composition root) and
// agent/sync_once/ (sync).
#include "agent/app/commands.hpp"
#include "agent/bootstrap/bootstrap_config.hpp"
#include "base/process_hardening.hpp"
#include "agent/sync_once/sync_once.hpp"
#include "agent/version.hpp"
#include "base/log/logger.hpp"
#include "base/text/size.hpp"

#include <boost/program_options.hpp>
#include <fmt/format.h>
#include <malloc.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <string>

namespace po = boost::program_options;
using namespace sr::agent;

namespace {

constexpr const char* kDefaultConfig = "/etc/serviceradar/agent.json";

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

sr::base::Expected<Bootstrap> bootstrap_from(const po::variables_map& vm) {
  std::map<std::string, std::string> flags;
  for (const auto& k : bootstrap_keys())
    if (vm.count(flag_name(k.key))) flags[k.key] = vm[flag_name(k.key)].as<std::string>();
  const bool explicit_file = vm.count("config") > 0;
  const std::string file = explicit_file ? vm["config"].as<std::string>() : kDefaultConfig;
  return load_bootstrap(file, explicit_file, process_environment(), flags);
}

int run(const po::variables_map& vm, const sr::base::HardeningReport& hardening) {
  RunCommand cmd;
  cmd.load_bootstrap = [&vm] { return bootstrap_from(vm); };
  cmd.backoff_initial = vm["backoff-initial"].as<std::string>();
  cmd.backoff_max = vm["backoff-max"].as<std::string>();
  cmd.grace = std::chrono::seconds(vm["grace"].as<int>());
  cmd.hardening = hardening;
  return run_command(cmd);
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
    o.spool_memory = sr::base::parse_size_text(vm["spool-memory"].as<std::string>()).value_or(o.spool_memory);
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
  const auto hardening = sr::base::harden_process(sr::base::core_dumps_allowed(std::getenv("SR_ALLOW_CORE_DUMPS")));
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
    if (command == "check-config") return check_config_command(bootstrap_from(vm));
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
