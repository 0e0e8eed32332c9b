// pipeline-floor: the agent's per-device CPU on the Armis and NetBox paths
// without the network, stage by stage, on pages rendered exactly as
// tools/fake-inventory serves them. Each stage includes the ones before it:
//   parse      - the page parser over the page bytes (devices discarded)
//   map        - + the mapping (a DeviceUpdate per device)
//   chunk      - + Chunker::add (chunk JSON written, chunks sealed and dropped)
// and the direct path, bodies written from the parser's fields:
//   encode     - parse + encode_device into the page's EncodedBatch
//   enc+chunk  - + Chunker::add_body (what a run does with the batch)
// Prints one line per source and stage (best round; rounds alternate the
// stages); tools/bench reports the end-to-end figures.
//
//   pipeline-floor [--devices N] [--page N] [--rounds N] [--source armis|netbox] [--stage NAME]
// (--source and --stage: only that one, e.g. under perf)
#include "sync/adapters/armis/armis_encode.hpp"
#include "sync/adapters/armis/armis_mapping.hpp"
#include "sync/adapters/armis/armis_page.hpp"
#include "sync/adapters/netbox/netbox_encode.hpp"
#include "sync/adapters/netbox/netbox_source.hpp"
#include "sync/pipeline/chunk.hpp"
#include "sync/pipeline/chunker.hpp"
#include "sync/pipeline/encoded_batch.hpp"
#include "tools/fake-inventory/apis/armis_api.hpp"
#include "tools/fake-inventory/apis/netbox_api.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace sr::sync;

enum class Stage { parse, map, chunk, encode, encode_chunk };

[[noreturn]] void fail(const std::string& what) {
  fmt::print(stderr, "pipeline-floor: {}\n", what);
  std::exit(1);
}

// Feeds a page in pieces as a TLS stream hands them over.
template <class Parser>
void feed(Parser& parser, const std::string& page) {
  for (std::size_t at = 0; at < page.size(); at += 16384)
    if (auto e = parser.feed(std::string_view(page).substr(at, 16384)); !e.empty()) fail(e);
  if (auto e = parser.finish(); !e.empty()) fail(e);
}

// What every stage past parse does with a device, by source.
struct Armis {
  using Parser = armis::ArmisPageParser;
  static bool map(armis::ArmisDevice& d, const RunInfo& info, DeviceUpdate& u) {
    return armis::to_update(armis::gather(std::move(d), ""), info, u);
  }
  static bool encode(const armis::ArmisDevice& d, const RunInfo& info, EncodedBatch& out) {
    return armis::encode_device(d, "", info, out);
  }
};

struct Netbox {
  using Parser = netbox::NetboxPageParser;
  static bool map(netbox::NetboxDevice& d, const RunInfo& info, DeviceUpdate& u) {
    return netbox::to_update(std::move(d), info, u);
  }
  static bool encode(const netbox::NetboxDevice& d, const RunInfo& info, EncodedBatch& out) {
    return netbox::encode_device(d, info, out);
  }
};

// One pass over every page; returns devices that reached the last stage.
template <class Source>
std::uint64_t run(const std::vector<std::string>& pages, Stage stage, const RunInfo& info) {
  std::uint64_t n = 0;
  Chunker chunker(ChunkLimits{}, sync_meta_worst_case("armis-bench", "00000000-0000-4000-8000-000000000000"));
  DeviceUpdate update;
  EncodedBatch batch;
  for (const auto& page : pages) {
    batch.clear();  // one page's bodies, as EncodedPage holds them
    typename Source::Parser parser([&](typename Source::Parser::Device& d) {
      if (stage == Stage::parse) {
        ++n;
      } else if (stage == Stage::encode || stage == Stage::encode_chunk) {
        n += Source::encode(d, info, batch);
      } else {
        update = DeviceUpdate{};
        if (!Source::map(d, info, update)) return true;
        if (stage == Stage::chunk) (void)chunker.add(update);
        ++n;
      }
      return true;
    });
    feed(parser, page);
    if (stage == Stage::encode_chunk)
      for (std::size_t i = 0; i < batch.size(); ++i) (void)chunker.add_body(batch.body(i));
  }
  (void)chunker.finish();
  return n;
}

std::string_view text_flag(int argc, char** argv, std::string_view name) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == name) return argv[i + 1];
  return {};
}

std::uint64_t flag(int argc, char** argv, std::string_view name, std::uint64_t fallback) {
  const auto text = text_flag(argc, argv, name);
  return text.empty() ? fallback : std::strtoull(std::string(text).c_str(), nullptr, 10);
}

// NetBox pages as fake-inventory's API serves them (`page` devices each).
std::vector<std::string> render_netbox_pages(std::uint64_t devices, std::uint64_t page) {
  sr::fake::NetboxApiOptions o;
  o.inventory = {devices, 1, 0.05};
  o.token = "t";
  o.max_limit = page;
  sr::fake::NetboxApi api(o);
  std::vector<std::string> pages;
  for (std::uint64_t from = 0; from < devices; from += page) {
    auto r = api.handle({"GET", fmt::format("/api/dcim/devices/?limit={}&offset={}", page, from), "",
                         {{"authorization", "Token t"}, {"host", "netbox.bench"}}});
    if (r.status != 200) fail(fmt::format("NetBox page at {}: HTTP {}", from, r.status));
    pages.push_back(std::move(r.body));
  }
  return pages;
}

// Rounds alternate the stages, so a slow spell of this shared VM hits all of
// them alike; each stage's best round is printed.
template <class Source>
void measure(const char* source, const std::vector<std::string>& pages, std::uint64_t rounds,
             const RunInfo& info, std::string_view only_stage) {
  std::size_t bytes = 0;
  for (const auto& p : pages) bytes += p.size();
  fmt::print("{}: {} pages, {:.1f} MB of page JSON\n", source, pages.size(), bytes / 1e6);
  struct Timed {
    Stage stage;
    const char* name;
    double best = 1e300;
    std::uint64_t devices = 0;
  };
  std::vector<Timed> stages{{Stage::parse, "parse"}, {Stage::map, "map"}, {Stage::chunk, "chunk"},
                            {Stage::encode, "encode"}, {Stage::encode_chunk, "enc+chunk"}};
  std::erase_if(stages, [&](const Timed& t) { return !only_stage.empty() && only_stage != t.name; });
  for (std::uint64_t r = 0; r < rounds; ++r)
    for (auto& t : stages) {
      const auto t0 = std::chrono::steady_clock::now();
      t.devices = run<Source>(pages, t.stage, info);
      t.best = std::min(t.best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
  for (const auto& t : stages)
    fmt::print("  {:<10} {:>8.3f} s  {:>7.0f} ns/device  {:>6.0f} MB/s of pages  ({} devices)\n", t.name, t.best,
               t.best * 1e9 / static_cast<double>(t.devices), bytes / 1e6 / t.best, t.devices);
}

}  // namespace

int main(int argc, char** argv) {
  const auto devices = flag(argc, argv, "--devices", 200'000);
  const auto page = flag(argc, argv, "--page", 1000);
  const auto rounds = flag(argc, argv, "--rounds", 3);
  RunInfo info;
  info.agent_id = "bench-agent";
  info.gateway_id = "agent-gateway-ref";
  info.partition = "edge";
  info.timestamp = "2026-11-25T00:00:00.000000000Z";
  const auto source = text_flag(argc, argv, "--source"), stage = text_flag(argc, argv, "--stage");
  fmt::print("pipeline-floor: {} devices, {} a page; best of {} rounds\n", devices, page, rounds);
  if (source.empty() || source == "armis")
    measure<Armis>("armis", sr::fake::render_armis_pages(devices, 1, page), rounds, info, stage);
  if (source.empty() || source == "netbox")
    measure<Netbox>("netbox", render_netbox_pages(devices, page), rounds, info, stage);
}
