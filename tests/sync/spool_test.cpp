// The run spool: memory up to the budget, then the run's file, read back in
// order; disk cap; crash leftovers removed; temporary directory cleaned.
#include "sync/pipeline/spool.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <fstream>

using namespace sr::sync;
namespace fs = std::filesystem;

namespace {
ChunkData chunk(int i, std::size_t size) {
  ChunkData c;
  c.bodies.assign(size, static_cast<char>('a' + i % 26));
  c.bodies += std::to_string(i);
  c.bodies.shrink_to_fit();
  c.devices = static_cast<std::uint32_t>(i + 1);
  return c;
}
std::size_t spool_files(const fs::path& dir) {
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir)) n += e.path().extension() == ".spool";
  return n;
}
}  // namespace

TEST_CASE("chunks beyond the memory budget go to a file and come back in order", "[sync][spool]") {
  sr::test::TempDir dir("sr-spool-test");
  auto store = SpoolStore::open({dir.path / "spool", 100'000, 10'000'000});
  REQUIRE(store);
  {
    RunSpool run(*store);
    for (int i = 0; i < 20; ++i) {
      auto c = chunk(i, 30'000);
      REQUIRE(run.add(std::move(c)).empty());
      // Kept in memory: taken; spilled: the caller keeps the buffer for reuse.
      CHECK((c.bodies.empty() || c.bodies == chunk(i, 30'000).bodies));
    }
    CHECK(run.chunks() == 20);
    CHECK(run.devices() == 210);  // 1 + 2 + ... + 20
    CHECK(run.bytes_in_memory() <= 100'000);
    CHECK(run.bytes_on_disk() > 0);
    CHECK((*store)->memory_used() <= 100'000);
    CHECK(spool_files(dir.path / "spool") == 1);
    for (int i = 0; i < 20; ++i) {
      auto c = run.read(static_cast<std::size_t>(i));
      REQUIRE(c);
      CHECK(c->bodies == chunk(i, 30'000).bodies);
      CHECK(c->devices == static_cast<std::uint32_t>(i + 1));
    }
    CHECK_FALSE(run.read(20));
    // One buffer read into again and again gives the same chunks.
    ChunkData reused;
    for (int i = 19; i >= 0; --i) {
      REQUIRE(run.read_into(static_cast<std::size_t>(i), reused).empty());
      CHECK(reused.bodies == chunk(i, 30'000).bodies);
      CHECK(reused.devices == static_cast<std::uint32_t>(i + 1));
    }
    CHECK(run.read_into(20, reused) == "spool: no chunk 20");
  }
  // The run is gone: its memory and its file are released.
  CHECK((*store)->memory_used() == 0);
  CHECK((*store)->disk_used() == 0);
  CHECK(spool_files(dir.path / "spool") == 0);
}

TEST_CASE("the disk cap stops a run with a clear error", "[sync][spool]") {
  sr::test::TempDir dir("sr-spool-test");
  auto store = SpoolStore::open({dir.path, 0, 3 << 20});
  REQUIRE(store);
  RunSpool run(*store);
  std::string err;
  int added = 0;
  while (err.empty() && added < 10) {
    err = run.add(chunk(added, 1 << 20));
    if (err.empty()) ++added;
  }
  CHECK(added == 2);  // 2 × (1 MiB + a few bytes) fit in 3 MiB, a third does not
  CHECK(err.find("spool disk cap of 3 MiB reached") != std::string::npos);
  CHECK((*store)->disk_used() <= (3u << 20));
}

TEST_CASE("spool files left by a crash are removed at start, other files kept", "[sync][spool]") {
  sr::test::TempDir dir("sr-spool-test");
  // pid 999999999 is above any pid_max: that process is gone.
  std::ofstream(dir.path / "run-999999999-1.spool") << "stale";
  std::ofstream(dir.path / "run-999999999-2.spool") << "stale";
  std::ofstream(dir.path / "junk.spool") << "stale";
  // A live process's file (a second agent on the same directory) stays.
  const auto live = dir.path / ("run-" + std::to_string(::getppid()) + "-1.spool");
  std::ofstream(live) << "in use";
  std::ofstream(dir.path / "notes.txt") << "keep";
  auto store = SpoolStore::open({dir.path, 1 << 20, 1 << 30});
  REQUIRE(store);
  CHECK((*store)->leftovers_removed() == 3);
  CHECK(spool_files(dir.path) == 1);
  CHECK(fs::exists(live));
  CHECK(fs::exists(dir.path / "notes.txt"));
}

TEST_CASE("without a state directory the spool lives in a private temporary directory", "[sync][spool]") {
  fs::path where;
  {
    auto store = SpoolStore::open({});
    REQUIRE(store);
    where = (*store)->dir();
    CHECK(fs::is_directory(where));
    CHECK((fs::status(where).permissions() & (fs::perms::group_all | fs::perms::others_all)) == fs::perms::none);
    RunSpool run(*store);
    REQUIRE(run.add(chunk(0, 10)).empty());
  }
  CHECK_FALSE(fs::exists(where));
}

TEST_CASE("an unusable spool directory is an error naming it", "[sync][spool]") {
  sr::test::TempDir dir("sr-spool-test");
  std::ofstream(dir.path / "file") << "x";
  auto store = SpoolStore::open({dir.path / "file" / "spool", 1, 1});
  REQUIRE_FALSE(store);
  CHECK(store.error().find((dir.path / "file" / "spool").string()) != std::string::npos);
}
