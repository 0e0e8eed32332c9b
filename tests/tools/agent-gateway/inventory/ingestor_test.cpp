// The ingestion queue: every chunk lands; a slow database stops the
// producers at the queue bound instead of growing memory; the knobs come
// from the environment with clear warnings.
#include "net/io_pool.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"
#include "tools/agent-gateway/inventory/ingestor.hpp"
#include "tools/agent-gateway/inventory/sqlite_db.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <future>

using namespace sr::gateway::inventory;
namespace asio = boost::asio;

namespace {

IngestChunk chunk(const std::string& tenant, int index, int devices) {
  IngestChunk c;
  c.tenant = tenant;
  for (int i = 0; i < devices; ++i) {
    IncomingDevice d;
    const int n = index * devices + i;
    d.ip = "10." + std::to_string(n >> 16) + "." + std::to_string((n >> 8) & 255) + "." + std::to_string(n & 255);
    d.source = "faker";
    d.strong.push_back({IdKind::armis_device_id, std::to_string(n)});
    c.devices.push_back(std::move(d));
  }
  return c;
}

std::unique_ptr<InventoryStore> memory_store() {
  auto s = InventoryStore::open(":memory:");
  REQUIRE(s);
  return std::move(*s);
}

// A running pool for the producing coroutines, joined when the test ends.
struct Producers {
  sr::net::IoPool pool;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  explicit Producers(unsigned threads) : pool(threads), work(pool.executor()) { pool.start(); }
  ~Producers() {
    work.reset();
    pool.join();
  }
};

// Pushes `chunks` chunks from a coroutine on `pool`; counts the pushes that completed.
std::future<bool> produce(sr::net::IoPool& pool, Ingestor& ingestor, const std::string& tenant, int chunks,
                          int devices, std::atomic<int>& pushed) {
  auto done = std::make_shared<std::promise<bool>>();
  auto f = done->get_future();
  asio::co_spawn(
      pool.executor(),
      [&, done, tenant, chunks, devices]() -> asio::awaitable<void> {
        bool ok = true;
        for (int i = 0; i < chunks && ok; ++i) {
          ok = co_await ingestor.push(chunk(tenant, i, devices));
          if (ok) ++pushed;
        }
        done->set_value(ok);
      },
      asio::detached);
  return f;
}

}  // namespace

TEST_CASE("every chunk of two tenants lands, merged into few transactions", "[inventory][ingest]") {
  auto store = memory_store();
  IngestorOptions o;
  o.coalesce = std::chrono::milliseconds(50);
  Ingestor ingestor(*store, o);
  Producers producers(2);
  auto& pool = producers.pool;
  std::atomic<int> a{0}, b{0};
  auto fa = produce(pool, ingestor, "acme", 40, 250, a);
  auto fb = produce(pool, ingestor, "globex", 40, 250, b);
  CHECK(sr::test::get_bounded(fa, "acme's pushes"));
  CHECK(sr::test::get_bounded(fb, "globex's pushes"));
  ingestor.stop();  // writes what is queued
  const auto c = ingestor.counters();
  CHECK(c.chunks_written == 80);
  CHECK(c.devices_written == 80 * 250);
  CHECK(c.write_errors == 0);
  CHECK(c.transactions < 80 * 2);  // chunks were merged
  CHECK(store->count("acme") == 10'000);
  CHECK(store->count("globex") == 10'000);
}

TEST_CASE("a slow database stops the producers at the queue bound", "[inventory][ingest]") {
  auto store = memory_store();
  std::promise<void> release;
  auto released = release.get_future().share();
  sr::test::EventCounter writes_started;
  IngestorOptions o;
  o.coalesce = std::chrono::milliseconds(0);
  o.queue_max_chunks = 3;
  o.max_inflight = 2;
  o.before_write = [&] {
    writes_started.bump();
    released.wait();  // the database is stuck until the test lets go
  };
  Ingestor ingestor(*store, o);
  Producers producers(1);
  auto& pool = producers.pool;
  std::atomic<int> pushed{0};
  auto f = produce(pool, ingestor, "acme", 20, 100, pushed);
  writes_started.wait_for_at_least(1, "the first write");
  // The writer holds its batch; the queue fills; then no push can complete.
  REQUIRE(sr::test::eventually([&] { return ingestor.counters().queue_depth == 3; }));
  const int held = pushed.load();
  CHECK(held <= 3 + 2);  // queue + the writer's batch: the bound on memory
  CHECK(f.wait_for(std::chrono::seconds(0)) != std::future_status::ready);
  release.set_value();
  CHECK(sr::test::get_bounded(f, "the pushes after the release"));
  ingestor.stop();
  CHECK(ingestor.counters().chunks_written == 20);
  CHECK(store->count("acme") == 2000);
}

TEST_CASE("a merge window that closes with nothing new leaves the writer ready for more",
          "[inventory][ingest]") {
  auto store = memory_store();
  IngestorOptions o;
  o.coalesce = std::chrono::milliseconds(20);
  Ingestor ingestor(*store, o);
  Producers producers(1);
  auto& pool = producers.pool;
  for (int round = 0; round < 3; ++round) {
    std::atomic<int> pushed{0};
    auto f = produce(pool, ingestor, "t" + std::to_string(round), 1, 10, pushed);
    REQUIRE(sr::test::get_bounded(f, "one push"));
    // Written only once the window has closed without another chunk.
    REQUIRE(sr::test::eventually([&] { return ingestor.counters().chunks_written == static_cast<std::uint64_t>(round + 1); }));
  }
  ingestor.stop();
  CHECK(store->tenants() == std::vector<std::string>{"t0", "t1", "t2"});
}

TEST_CASE("after stop nothing more is accepted", "[inventory][ingest]") {
  auto store = memory_store();
  Ingestor ingestor(*store, IngestorOptions{});
  ingestor.stop();
  Producers producers(1);
  auto& pool = producers.pool;
  std::atomic<int> pushed{0};
  auto f = produce(pool, ingestor, "acme", 1, 1, pushed);
  CHECK_FALSE(sr::test::get_bounded(f, "a push after stop"));
  CHECK(pushed == 0);
}

TEST_CASE("knobs from the environment; bad values warned about by name", "[inventory][ingest]") {
  ::setenv("SYNC_INGESTOR_COALESCE_MS", "100", 1);
  ::setenv("SYNC_INGESTOR_QUEUE_MAX_CHUNKS", "0", 1);
  ::setenv("SYNC_INGESTOR_MAX_INFLIGHT", "lots", 1);
  ::setenv("SYNC_INGESTOR_BATCH_CONCURRENCY", "4", 1);
  std::vector<std::string> warnings;
  auto o = IngestorOptions::from_environment(warnings);
  CHECK(o.coalesce == std::chrono::milliseconds(100));
  CHECK(o.queue_max_chunks == 1);
  CHECK(o.max_inflight == 4);
  CHECK(o.batch_concurrency == 1);
  REQUIRE(warnings.size() == 3);
  CHECK(warnings[0] == "SYNC_INGESTOR_QUEUE_MAX_CHUNKS=0 is below 1: using 1");
  CHECK(warnings[1] == "SYNC_INGESTOR_MAX_INFLIGHT=\"lots\" is not a number: using 4");
  CHECK(warnings[2] == "SYNC_INGESTOR_BATCH_CONCURRENCY=4: SQLite has one writer, using 1");
  for (auto v : {"SYNC_INGESTOR_COALESCE_MS", "SYNC_INGESTOR_QUEUE_MAX_CHUNKS", "SYNC_INGESTOR_MAX_INFLIGHT",
                 "SYNC_INGESTOR_BATCH_CONCURRENCY"})
    ::unsetenv(v);
}

namespace {

// Pushes `chunks` chunks with one receipt, then waits for their commit; the
// future holds committed()'s answer.
std::future<std::string> produce_and_commit(sr::net::IoPool& pool, Ingestor& ingestor, const std::string& tenant,
                                            int chunks, int devices) {
  auto done = std::make_shared<std::promise<std::string>>();
  auto f = done->get_future();
  asio::co_spawn(
      pool.executor(),
      [&ingestor, done, tenant, chunks, devices]() -> asio::awaitable<void> {
        auto receipt = Ingestor::new_receipt();
        for (int i = 0; i < chunks; ++i) {
          auto c = chunk(tenant, i, devices);
          c.receipt = receipt;
          if (!co_await ingestor.push(std::move(c))) {
            done->set_value("push refused");
            co_return;
          }
        }
        done->set_value(co_await ingestor.committed(tenant, receipt));
      },
      asio::detached);
  return f;
}

}  // namespace

TEST_CASE("committed() answers once every chunk of the stream is written", "[inventory][ingest]") {
  auto store = memory_store();
  IngestorOptions o;
  o.coalesce = std::chrono::milliseconds(20);
  o.max_inflight = 2;  // the 5 chunks and the end marker span several writes
  // Producers first, so they outlive the ingestor: a receipt's wake-up channel
  // belongs to the producers' io_context, and the writer may hold the last
  // reference until it stops (as the gateway stops its ingestor before its pool).
  Producers producers(2);
  Ingestor ingestor(*store, o);
  auto answer = produce_and_commit(producers.pool, ingestor, "acme", 5, 100);
  REQUIRE(answer.wait_for(sr::test::event_timeout()) == std::future_status::ready);
  CHECK(answer.get() == "");
  // No waiting: the answer came after the commit.
  const auto c = ingestor.counters();
  CHECK(c.devices_written == 500);
  CHECK(c.chunks_written == 5);  // the end marker is not a chunk
  CHECK(c.queue_depth == 0);
  CHECK(store->count("acme") == 500);
}

TEST_CASE("committed() reports a failed write, and the next stream still lands", "[inventory][ingest]") {
  sr::test::TempDir dir("sr-ingest-locked");
  const auto file = dir.path / "inventory.db";
  auto opened = InventoryStore::open(file);
  REQUIRE(opened);
  auto& store = **opened;
  // Another process holding the write lock past the busy timeout.
  Database other;
  REQUIRE(other.open(file.string()) == "");
  REQUIRE(other.exec("BEGIN EXCLUSIVE") == "");
  Producers producers(2);  // outlives the ingestor, as above
  Ingestor ingestor(store, IngestorOptions{});
  auto first = produce_and_commit(producers.pool, ingestor, "acme", 2, 10);
  REQUIRE(first.wait_for(sr::test::event_timeout()) == std::future_status::ready);
  const auto why = first.get();
  INFO(why);
  CHECK(why.find("locked") != std::string::npos);
  CHECK(ingestor.counters().write_errors >= 1);
  REQUIRE(other.exec("COMMIT") == "");
  auto second = produce_and_commit(producers.pool, ingestor, "acme", 2, 10);
  REQUIRE(second.wait_for(sr::test::event_timeout()) == std::future_status::ready);
  CHECK(second.get() == "");
  CHECK(store.count("acme") == 20);
}

TEST_CASE("committed() after stop says the gateway is stopping", "[inventory][ingest]") {
  auto store = memory_store();
  Ingestor ingestor(*store, IngestorOptions{});
  ingestor.stop();
  Producers producers(1);
  auto done = std::make_shared<std::promise<std::string>>();
  auto f = done->get_future();
  asio::co_spawn(
      producers.pool.executor(),
      [&ingestor, done]() -> asio::awaitable<void> {
        done->set_value(co_await ingestor.committed("acme", Ingestor::new_receipt()));
      },
      asio::detached);
  REQUIRE(f.wait_for(sr::test::event_timeout()) == std::future_status::ready);
  CHECK(f.get() == "the gateway is stopping");
}
