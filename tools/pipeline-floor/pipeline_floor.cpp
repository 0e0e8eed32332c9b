// pipeline-floor: the agent's per-device CPU on the Armis path without the
// network, stage by stage, on pages rendered exactly as tools/fake-inventory
// serves them. Each stage includes the ones before it:
//   parse  - ArmisPageParser over the page bytes (devices discarded)
//   map    - + gather and to_update (DeviceUpdate per device)
//   chunk  - + Chunker::add (chunk JSON written, chunks sealed and dropped)
// Prints one line per stage; tools/bench reports the end-to-end figures.
//
//   pipeline-floor [--devices N] [--page N] [--rounds N]
#include "sync/adapters/armis/armis_mapping.hpp"
#include "sync/adapters/armis/armis_page.hpp"
#include "sync/pipeline/chunk.hpp"
#include "sync/pipeline/chunker.hpp"
#include "tools/fake-inventory/apis/armis_api.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace sr::sync;

enum class Stage { parse, map, chunk };

// One pass over every page; returns devices that reached the last stage.
std::uint64_t run(const std::vector<std::string>& pages, Stage stage, const RunInfo& info) {
  std::uint64_t n = 0;
  Chunker chunker(ChunkLimits{}, sync_meta_worst_case("armis-bench", "00000000-0000-4000-8000-000000000000"));
  DeviceUpdate update;
  for (const auto& page : pages) {
    armis::ArmisPageParser parser([&](armis::ArmisDevice& d) {
      if (stage == Stage::parse) {
        ++n;
        return true;
      }
      update = DeviceUpdate{};
      if (!armis::to_update(armis::gather(std::move(d), ""), info, update)) return true;
      if (stage == Stage::chunk) (void)chunker.add(update);
      ++n;
      return true;
    });
    // Pieces as a TLS stream hands them over.
    for (std::size_t at = 0; at < page.size(); at += 16384)
      if (auto e = parser.feed(std::string_view(page).substr(at, 16384)); !e.empty()) {
        fmt::print(stderr, "pipeline-floor: {}\n", e);
        std::exit(1);
      }
    if (auto e = parser.finish(); !e.empty()) {
      fmt::print(stderr, "pipeline-floor: {}\n", e);
      std::exit(1);
    }
  }
  (void)chunker.finish();
  return n;
}

std::uint64_t flag(int argc, char** argv, std::string_view name, std::uint64_t fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == name) return std::strtoull(argv[i + 1], nullptr, 10);
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  const auto devices = flag(argc, argv, "--devices", 200'000);
  const auto page = flag(argc, argv, "--page", 1000);
  const auto rounds = flag(argc, argv, "--rounds", 3);
  const auto pages = sr::fake::render_armis_pages(devices, 1, page);  // as fake-inventory serves them
  std::size_t bytes = 0;
  for (const auto& p : pages) bytes += p.size();
  RunInfo info;
  info.agent_id = "bench-agent";
  info.gateway_id = "agent-gateway-ref";
  info.partition = "edge";
  info.timestamp = "2026-11-25T00:00:00.000000000Z";
  fmt::print("pipeline-floor: {} devices, {} pages, {:.1f} MB of page JSON; best of {} rounds\n",
             devices, pages.size(), bytes / 1e6, rounds);
  for (auto [stage, name] : {std::pair{Stage::parse, "parse"}, std::pair{Stage::map, "map"},
                             std::pair{Stage::chunk, "chunk"}}) {
    double best = 1e300;
    std::uint64_t n = 0;
    for (std::uint64_t r = 0; r < rounds; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      n = run(pages, stage, info);
      best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    fmt::print("{:<6} {:>8.3f} s  {:>7.0f} ns/device  {:>6.0f} MB/s of pages  ({} devices)\n", name, best,
               best * 1e9 / static_cast<double>(n), bytes / 1e6 / best, n);
  }
}
