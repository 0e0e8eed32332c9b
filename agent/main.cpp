// serviceradar-agent: enrols with the agent-gateway and runs the embedded
// sync runtime. The control plane and the sync runtime arrive with their
// issues; until then the binary reports its version and usage.
#include "agent/version.hpp"

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

namespace po = boost::program_options;

namespace {

constexpr int kExitUsage = 64;  // EX_USAGE

po::options_description global_options() {
  po::options_description opts("Options");
  opts.add_options()
      ("help,h", "print this help and exit")
      ("version,V", "print the version of the agent and its libraries and exit");
  return opts;
}

void print_usage(std::ostream& out, const po::options_description& opts) {
  out << "Usage: serviceradar-agent [OPTIONS] [COMMAND]\n\n"
         "Pulls device inventories from integration sources (Armis, NetBox, faker)\n"
         "and streams them to the ServiceRadar agent-gateway over mTLS gRPC.\n\n"
         "Commands:\n"
         "  version    same as --version\n"
         "  help       same as --help\n\n"
      << opts << "\n";
}

}  // namespace

int main(int argc, char** argv) {
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

  const std::string command = vm.count("command") ? vm["command"].as<std::string>() : "";
  if (vm.count("help") || command == "help") {
    print_usage(std::cout, opts);
    return 0;
  }
  if (vm.count("version") || command == "version") {
    std::cout << sr::agent::version_report();
    return 0;
  }
  if (command.empty()) {
    print_usage(std::cerr, opts);
    return kExitUsage;
  }
  std::cerr << fmt::format("serviceradar-agent: unknown command '{}'\n", command)
            << "Try 'serviceradar-agent --help'.\n";
  return kExitUsage;
}
