// The chunker: limits respected with sync_meta at its widest, sizes exact,
// one oversized entry alone, sync_meta right in every chunk.
#include "sync/pipeline/chunker.hpp"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <set>

using namespace sr::sync;
namespace json = boost::json;

namespace {

DeviceUpdate device(int i, std::size_t pad = 0) {
  DeviceUpdate d;
  d.ip = "10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256);
  d.device_id = "default:" + d.ip;
  d.source = "armis";
  d.partition = "default";
  d.timestamp = "2026-01-01T00:00:00.000000000Z";
  d.meta("pad", std::string(pad + static_cast<std::size_t>(i % 37), 'x'));
  return d;
}

struct Run {
  std::vector<ChunkData> chunks;
  std::uint64_t devices = 0;
};

Run cut(ChunkLimits limits, int n, std::size_t pad, const std::string& sid, const std::string& rid) {
  Chunker c(limits, sync_meta_worst_case(sid, rid));
  Run run;
  for (int i = 0; i < n; ++i)
    if (auto sealed = c.add(device(i, pad))) run.chunks.push_back(std::move(*sealed));
  if (auto last = c.finish()) run.chunks.push_back(std::move(*last));
  for (const auto& ch : run.chunks) run.devices += ch.devices;
  return run;
}

}  // namespace

TEST_CASE("every chunk stays within max_bytes and max_entries, and sizes are exact", "[sync][chunker]") {
  ChunkLimits limits;
  limits.max_bytes = 64 * 1024;
  limits.max_entries = 150;
  const std::string sid = "5f0c3c1e-0000-4000-8000-000000000001", rid = "run-1";
  auto run = cut(limits, 5000, 300, sid, rid);
  REQUIRE(run.devices == 5000);
  REQUIRE(run.chunks.size() > 2);
  const auto total = static_cast<std::int32_t>(run.chunks.size());
  std::uint64_t seen = 0;
  std::set<std::string> ips;
  for (std::int32_t i = 0; i < total; ++i) {
    SyncMeta meta{sid, rid, i, total, run.devices};
    const auto msg = build_chunk_message(run.chunks[i], meta);
    INFO("chunk " << i);
    CHECK(msg.size() == chunk_message_size(run.chunks[i], meta));  // exact: brackets and commas counted
    CHECK(msg.size() <= limits.max_bytes);
    CHECK(run.chunks[i].devices <= limits.max_entries);
    auto v = json::parse(msg);
    const auto& arr = v.as_array();
    REQUIRE(arr.size() == run.chunks[i].devices);
    for (const auto& d : arr) {
      const auto& m = d.at("sync_meta").as_object();
      CHECK(m.at("sync_service_id").as_string() == sid);
      CHECK(m.at("sync_run_id").as_string() == rid);
      CHECK(m.at("chunk_index") == i);
      CHECK(m.at("total_chunks") == total);
      CHECK(m.at("total_devices") == 5000);
      CHECK(m.at("is_final").as_bool() == (i == total - 1));
      ips.insert(std::string(d.at("ip").as_string()));
    }
    seen += arr.size();
  }
  CHECK(seen == 5000);
  CHECK(ips.size() == 5000);  // nothing lost, nothing doubled, order kept
}

TEST_CASE("chunks are full: the next device would not have fitted", "[sync][chunker]") {
  ChunkLimits limits;
  limits.max_bytes = 64 * 1024;
  limits.max_entries = 100000;
  const std::string sid = "s", rid = "r";
  const auto reserve = sync_meta_worst_case(sid, rid);
  auto run = cut(limits, 3000, 200, sid, rid);
  for (std::size_t i = 0; i + 1 < run.chunks.size(); ++i) {
    // bound = '[' ']' + bodies + separators + widest meta per device
    const auto bound = 2 + run.chunks[i].bodies.size() + run.chunks[i].devices * reserve;
    CHECK(bound <= limits.max_bytes);
    std::string next;
    // The first body of the next chunk, plus its comma and meta, overflows.
    const auto& nb = run.chunks[i + 1].bodies;
    const auto first_len = nb.find('\n') == std::string::npos ? nb.size() : nb.find('\n');
    CHECK(bound + 1 + first_len + reserve > limits.max_bytes);
  }
}

TEST_CASE("the entry limit cuts chunks as well", "[sync][chunker]") {
  ChunkLimits limits;
  limits.max_entries = 100;
  auto run = cut(limits, 1050, 0, "s", "r");
  REQUIRE(run.chunks.size() == 11);
  for (std::size_t i = 0; i < 10; ++i) CHECK(run.chunks[i].devices == 100);
  CHECK(run.chunks[10].devices == 50);
}

TEST_CASE("one device larger than max_bytes gets a chunk of its own", "[sync][chunker]") {
  ChunkLimits limits;
  limits.max_bytes = 64 * 1024;
  Chunker c(limits, sync_meta_worst_case("s", "r"));
  std::vector<ChunkData> chunks;
  for (auto d : {device(1), device(2, 100 * 1024), device(3)})
    if (auto s = c.add(d)) chunks.push_back(std::move(*s));
  if (auto s = c.finish()) chunks.push_back(std::move(*s));
  REQUIRE(chunks.size() == 3);
  CHECK(chunks[0].devices == 1);
  CHECK(chunks[1].devices == 1);
  CHECK(chunks[1].bodies.size() > limits.max_bytes);
  CHECK(chunks[2].devices == 1);
}

TEST_CASE("a recycled buffer is written into again; the chunks are the same", "[sync][chunker]") {
  ChunkLimits limits;
  limits.max_bytes = 64 * 1024;
  const auto plain = cut(limits, 3000, 0, "s", "r");
  Chunker c(limits, sync_meta_worst_case("s", "r"));
  std::vector<ChunkData> chunks;
  std::set<const char*> recycled;
  std::size_t reused = 0;
  for (int i = 0; i < 3000; ++i) {
    if (auto sealed = c.add(device(i))) {
      reused += recycled.count(sealed->bodies.data());
      chunks.push_back({sealed->bodies, sealed->devices});  // a copy: what a spill writes
      recycled.insert(sealed->bodies.data());
      c.recycle(std::move(sealed->bodies));
    }
  }
  if (auto last = c.finish()) chunks.push_back(std::move(*last));
  REQUIRE(chunks.size() == plain.chunks.size());
  REQUIRE(chunks.size() > 3);
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    CHECK(chunks[i].bodies == plain.chunks[i].bodies);
    CHECK(chunks[i].devices == plain.chunks[i].devices);
  }
  CHECK(reused > 0);  // sealed chunks came back in the recycled buffer
}

// add_body: the same bytes, the same cuts and bounds as add, mixed freely.
TEST_CASE("bodies already written are chunked exactly as their devices", "[sync][chunker]") {
  ChunkLimits limits;
  limits.max_bytes = 64 * 1024;
  limits.max_entries = 170;
  const std::string sid = "s", rid = "r";
  const auto plain = cut(limits, 4000, 250, sid, rid);
  Chunker c(limits, sync_meta_worst_case(sid, rid));
  Chunker by_add(limits, sync_meta_worst_case(sid, rid));
  std::vector<ChunkData> chunks;
  std::string body;
  for (int i = 0; i < 4000; ++i) {
    const auto d = device(i, 250);
    std::optional<ChunkData> sealed;
    if (i % 3 == 0) {
      sealed = c.add(d);
    } else {
      body.clear();
      append_device_body(body, d);
      sealed = c.add_body(body);
    }
    (void)by_add.add(d);
    CHECK(c.open_bound() == by_add.open_bound());  // the same size arithmetic
    if (sealed) chunks.push_back(std::move(*sealed));
  }
  if (auto last = c.finish()) chunks.push_back(std::move(*last));
  REQUIRE(chunks.size() == plain.chunks.size());
  REQUIRE(chunks.size() > 3);
  const auto total = static_cast<std::int32_t>(chunks.size());
  for (std::int32_t i = 0; i < total; ++i) {
    INFO("chunk " << i);
    CHECK(chunks[i].bodies == plain.chunks[i].bodies);
    CHECK(chunks[i].devices == plain.chunks[i].devices);
    SyncMeta meta{sid, rid, i, total, 4000};
    const auto msg = build_chunk_message(chunks[i], meta);
    CHECK(msg.size() == chunk_message_size(chunks[i], meta));
    CHECK(msg.size() <= limits.max_bytes);
  }
}

TEST_CASE("a body larger than max_bytes gets a chunk of its own", "[sync][chunker]") {
  ChunkLimits limits;
  limits.max_bytes = 64 * 1024;
  Chunker c(limits, sync_meta_worst_case("s", "r"));
  std::vector<ChunkData> chunks;
  std::string big;
  append_device_body(big, device(2, 100 * 1024));
  if (auto s = c.add(device(1))) chunks.push_back(std::move(*s));
  if (auto s = c.add_body(big)) chunks.push_back(std::move(*s));
  if (auto s = c.add_body(big)) chunks.push_back(std::move(*s));
  if (auto s = c.add(device(3))) chunks.push_back(std::move(*s));
  if (auto s = c.finish()) chunks.push_back(std::move(*s));
  REQUIRE(chunks.size() == 4);
  for (const auto& ch : chunks) CHECK(ch.devices == 1);
  CHECK(chunks[1].bodies == big);
  CHECK(chunks[2].bodies == big);
}

TEST_CASE("an empty run makes no chunk", "[sync][chunker]") {
  Chunker c(ChunkLimits{}, 200);
  CHECK_FALSE(c.finish());
}

TEST_CASE("chunk limits from the environment, with the contract's floors", "[sync][chunker]") {
  std::vector<std::string> warnings;
  ::setenv("SWEEP_RESULTS_MAX_CHUNK_BYTES", "1MB", 1);
  ::setenv("SWEEP_RESULTS_MAX_HOSTS_PER_CHUNK", "500", 1);
  auto l = ChunkLimits::from_environment(warnings);
  CHECK(l.max_bytes == 1024 * 1024);
  CHECK(l.max_entries == 500);
  CHECK(warnings.empty());
  ::setenv("SWEEP_RESULTS_MAX_CHUNK_BYTES", "1000", 1);
  ::setenv("SWEEP_RESULTS_MAX_HOSTS_PER_CHUNK", "5", 1);
  l = ChunkLimits::from_environment(warnings);
  CHECK(l.max_bytes == ChunkLimits::kMinBytes);
  CHECK(l.max_entries == ChunkLimits::kMinEntries);
  CHECK(warnings.size() == 2);
  ::setenv("SWEEP_RESULTS_MAX_CHUNK_BYTES", "lots", 1);
  warnings.clear();
  l = ChunkLimits::from_environment(warnings);
  CHECK(l.max_bytes == ChunkLimits{}.max_bytes);
  REQUIRE(warnings.size() == 2);
  CHECK(warnings[0].find("SWEEP_RESULTS_MAX_CHUNK_BYTES=\"lots\" is not a size") != std::string::npos);
  ::unsetenv("SWEEP_RESULTS_MAX_CHUNK_BYTES");
  ::unsetenv("SWEEP_RESULTS_MAX_HOSTS_PER_CHUNK");
}
