// A run whose adapter pushes EncodedBatches (bodies written from the
// parser's fields): its devices are spooled in the same chunks, byte for
// byte, as when it pushes the same devices as DeviceUpdates; network_blacklist
// applies by each body's IP; the channel's backpressure holds for both kinds.
#include "net/io_pool.hpp"
#include "sync/adapters/netbox/netbox_encode.hpp"
#include "sync/adapters/netbox/netbox_source.hpp"
#include "sync/runtime/source_run.hpp"
#include "tests/support/wait.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <set>

using namespace sr::sync;
using namespace sr::test;
namespace asio = boost::asio;

namespace {

constexpr std::size_t kBatches = 40, kPerBatch = 250;

// Device n: 172.16.0.x for every 10th (the blacklisted /24), else 10.x.y.z.
netbox::NetboxDevice device(std::size_t n) {
  netbox::NetboxDevice d;
  d.id = static_cast<std::int64_t>(n + 1);
  d.name = fmt::format("dev-{} \"q\"", n);
  d.primary_ip4 = n % 10 == 0 ? fmt::format("172.16.0.{}/24", n / 10 % 250 + 1)
                              : fmt::format("10.{}.{}.{}/8", (n >> 16) & 255, (n >> 8) & 255, n & 255);
  d.status = "active";
  d.site = "HQ";
  return d;
}

// Pushes kBatches batches of kPerBatch devices, as bodies or as updates, and
// checks after each push that the chunker is at most 3 batches behind: 2 in
// the channel, 1 being chunked (backpressure, no clock involved).
struct PagedAdapter final : Adapter {
  bool encoded;
  SyncStats& stats;
  std::string source;
  std::size_t worst_lag = 0;

  PagedAdapter(bool e, SyncStats& s, std::string src) : encoded(e), stats(s), source(std::move(src)) {}

  asio::awaitable<RunOutcome> run(const RunInfo& info, DeviceSink& sink) override {
    for (std::size_t b = 0; b < kBatches; ++b) {
      bool pushed;
      if (encoded) {
        EncodedBatch batch;
        for (std::size_t i = 0; i < kPerBatch; ++i) netbox::encode_device(device(b * kPerBatch + i), info, batch);
        pushed = co_await sink.push(std::move(batch));
      } else {
        DeviceBatch batch;
        for (std::size_t i = 0; i < kPerBatch; ++i) {
          DeviceUpdate u;
          netbox::to_update(device(b * kPerBatch + i), info, u);
          batch.push_back(std::move(u));
        }
        pushed = co_await sink.push(std::move(batch));
      }
      if (!pushed) co_return RunOutcome::failed("push", "stopped");
      const auto chunked = stats.get(source).devices_so_far / kPerBatch;
      worst_lag = std::max(worst_lag, b + 1 - std::min<std::size_t>(chunked, b + 1));
    }
    co_await sink.push(EncodedBatch{});  // empty: nothing, not the end
    co_await sink.push(DeviceBatch{});
    co_return RunOutcome::completed();
  }
};

struct Ran {
  std::shared_ptr<CompletedRun> run;
  std::vector<ChunkData> chunks;
  SourceStats stats;
  std::size_t worst_lag = 0;
};

Ran run_once(bool encoded) {
  sr::net::IoPool pool{2};
  auto work = asio::make_work_guard(pool.executor());
  pool.start();
  auto spool = *SpoolStore::open({"", 1u << 30, 1ull << 30});
  SyncStats stats;
  SourceConfig source;
  source.name = "nb";
  source.type = "netbox";
  source.sync_service_id = "nb-service";
  NetworkFilter filter({"172.16.0.0/24"});
  PagedAdapter adapter(encoded, stats, source.name);
  ChunkLimits limits;
  limits.max_bytes = ChunkLimits::kMinBytes;  // many chunks
  RunInfo info;
  info.agent_id = "agent-1";
  info.partition = "edge";
  info.timestamp = "2026-11-25T00:00:00Z";
  RunSetup setup{asio::make_strand(pool.executor()), pool.executor(), source, adapter, filter, stats, spool,
                 limits, std::chrono::minutes(5)};
  Ran out;
  {
    SourceRun run(setup, info);
    auto f = asio::co_spawn(setup.strand, run.execute(), asio::use_future);
    out.run = get_bounded(f, "source run");
  }
  work.reset();
  pool.join();
  REQUIRE(out.run);
  for (std::size_t i = 0; i < out.run->spool->chunks(); ++i) out.chunks.push_back(*out.run->spool->read(i));
  out.stats = stats.get(source.name);
  out.worst_lag = adapter.worst_lag;
  return out;
}

}  // namespace

TEST_CASE("an adapter's encoded batches are spooled as its updates would be, blacklist applied",
          "[sync][runtime][encode]") {
  const auto encoded = run_once(true);
  const auto updates = run_once(false);
  const std::size_t total = kBatches * kPerBatch, blocked = total / 10;

  REQUIRE(encoded.chunks.size() == updates.chunks.size());
  REQUIRE(encoded.chunks.size() > 3);
  for (std::size_t i = 0; i < encoded.chunks.size(); ++i) {
    INFO("chunk " << i);
    CHECK(encoded.chunks[i].bodies == updates.chunks[i].bodies);  // byte for byte
    CHECK(encoded.chunks[i].devices == updates.chunks[i].devices);
  }
  CHECK(encoded.run->spool->devices() == total - blocked);
  CHECK(encoded.stats.filtered_total == blocked);
  CHECK(updates.stats.filtered_total == blocked);
  CHECK(encoded.stats.devices_total == total - blocked);

  // The messages are the JSON the gateway reads: every device once, none blacklisted.
  std::set<std::string> ips;
  const auto chunks = static_cast<std::int32_t>(encoded.chunks.size());
  for (std::int32_t i = 0; i < chunks; ++i) {
    const auto msg = build_chunk_message(
        encoded.chunks[static_cast<std::size_t>(i)],
        SyncMeta{encoded.run->sync_service_id, encoded.run->run_id, i, chunks, encoded.run->spool->devices()});
    CHECK(msg.size() <= ChunkLimits::kMinBytes);
    const auto doc = boost::json::parse(msg);
    for (const auto& d : doc.as_array()) {
      const std::string ip(d.at("ip").as_string());
      CHECK_FALSE(ip.starts_with("172.16.0."));
      CHECK(d.at("device_id").as_string() == "edge:" + ip);
      ips.insert(ip);
    }
  }
  CHECK(ips.size() == total - blocked);
}

TEST_CASE("encoded batches wait for the chunker like update batches: at most 3 batches ahead",
          "[sync][runtime][encode]") {
  for (bool encoded : {true, false}) {
    INFO((encoded ? "encoded" : "updates"));
    const auto ran = run_once(encoded);
    CHECK(ran.worst_lag <= 3);  // 2 in the channel, 1 being chunked
    CHECK(ran.run->spool->devices() == kBatches * kPerBatch * 9 / 10);
  }
}
