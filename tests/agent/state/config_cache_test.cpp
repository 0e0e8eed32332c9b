// The config cache: sealed by default (no credential readable on disk),
// opened only with the same agent key, plain on request, tamper-evident.
#include "agent/state/config_cache.hpp"
#include "agent/state/state_dir.hpp"
#include "base/read_file.hpp"
#include "tests/support/temp_dir.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <catch2/catch.hpp>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

using namespace sr::agent;
namespace fs = std::filesystem;

namespace {
const std::string kConfig = R"({"sources":{"hq":{"type":"armis","credentials":{"api_key":"SECRET-cache-4d1e"}}}})";
const std::string kKeyA = "-----BEGIN PRIVATE KEY-----\nkey-a\n-----END PRIVATE KEY-----\n";
const std::string kKeyB = "-----BEGIN PRIVATE KEY-----\nkey-b\n-----END PRIVATE KEY-----\n";
}  // namespace

TEST_CASE("a sealed cache round-trips and shows no credential on disk", "[agent][cache]") {
  sr::test::TempDir dir("sr-cache");
  ConfigCache cache(dir.path, CacheMode::sealed, kKeyA);
  REQUIRE(cache.save({"v1", kConfig}).empty());
  const auto text = sr::base::read_file(cache.path().string());
  REQUIRE(text);
  CHECK(text->find("SECRET-cache-4d1e") == std::string::npos);
  CHECK(text->find("armis") == std::string::npos);
  CHECK((fs::status(cache.path()).permissions() & (fs::perms::group_all | fs::perms::others_all)) == fs::perms::none);
  auto back = cache.load();
  REQUIRE(back);
  CHECK(back->version == "v1");
  CHECK(back->config_json == kConfig);
  // Saving again replaces it.
  REQUIRE(cache.save({"v2", "{}"}).empty());
  CHECK(cache.load()->version == "v2");
}

TEST_CASE("another key cannot open the cache; tampering is detected", "[agent][cache]") {
  sr::test::TempDir dir("sr-cache");
  REQUIRE(ConfigCache(dir.path, CacheMode::sealed, kKeyA).save({"v1", kConfig}).empty());
  auto other = ConfigCache(dir.path, CacheMode::sealed, kKeyB).load();
  REQUIRE_FALSE(other);
  CHECK(other.why.find("cannot be opened with this agent's key") != std::string::npos);

  ConfigCache cache(dir.path, CacheMode::sealed, kKeyA);
  REQUIRE(cache.save({"v1", kConfig}).empty());  // the other key's refusal removed it
  auto text = *sr::base::read_file(cache.path().string());
  // Claim another version: the version is authenticated, so opening fails.
  const auto at = text.find("\"v1\"");
  REQUIRE(at != std::string::npos);
  text.replace(at, 4, "\"v9\"");
  std::ofstream(cache.path()) << text;
  CHECK_FALSE(cache.load());
  std::ofstream(cache.path()) << "not json";
  CHECK(cache.load().why.find("damaged") != std::string::npos);
}

TEST_CASE("plain is readable by choice; off keeps nothing; none yet is a clear miss", "[agent][cache]") {
  sr::test::TempDir dir("sr-cache");
  CHECK(ConfigCache(dir.path, CacheMode::sealed, kKeyA).load().why.find("no cached config") != std::string::npos);
  ConfigCache plain(dir.path, CacheMode::plain, "");
  REQUIRE(plain.save({"v3", kConfig}).empty());
  CHECK(sr::base::read_file(plain.path().string())->find("SECRET-cache-4d1e") != std::string::npos);
  CHECK(plain.load()->config_json == kConfig);
  fs::remove(plain.path());
  ConfigCache off(dir.path, CacheMode::off, kKeyA);
  REQUIRE(off.save({"v4", kConfig}).empty());
  CHECK_FALSE(fs::exists(off.path()));
  CHECK(ConfigCache(dir.path, CacheMode::sealed, "").save({"v5", kConfig}).find("no private key") == 0);
}

namespace {

// A file as `config_cache: plain` writes it, or as someone with write access
// to the state directory would plant it: sources and credentials in the clear.
void plant_plain(const fs::path& file, const std::string& version) {
  std::ofstream(file) << R"({"format":"plain","version":")" << version << R"(","config_json":)"
                      << boost::json::serialize(boost::json::string(kConfig)) << "}";
}

}  // namespace

TEST_CASE("sealed mode refuses a plain cache file, removes it and never applies it", "[agent][cache][sealed]") {
  sr::test::TempDir dir("sr-cache");
  ConfigCache cache(dir.path, CacheMode::sealed, kKeyA);
  plant_plain(cache.path(), "v-planted");
  const auto loaded = cache.load();
  CHECK_FALSE(loaded);
  CHECK_FALSE(loaded.config.has_value());
  CHECK(loaded.refused);
  CHECK(loaded.why == cache.path().string() +
                          ": not sealed (format 'plain') while config_cache is sealed: refused and removed");
  CHECK(loaded.why.find("SECRET") == std::string::npos);
  CHECK_FALSE(fs::exists(cache.path()));  // no plain credential stays on disk
  // A damaged or foreign-key file is refused the same way, and removed.
  std::ofstream(cache.path()) << R"({"format":"aes-256-gcm","version":"v1","nonce":"00","tag":"00","data":"00"})";
  const auto bad = cache.load();
  CHECK(bad.refused);
  CHECK_FALSE(fs::exists(cache.path()));
  // Plain mode, chosen by the operator, still reads what it writes.
  ConfigCache plain(dir.path, CacheMode::plain, "");
  plant_plain(plain.path(), "v-plain");
  REQUIRE(plain.load());
  CHECK(plain.load()->version == "v-plain");
}

TEST_CASE("a rotated key re-seals the cache; the old key no longer opens it", "[agent][cache][sealed]") {
  sr::test::TempDir dir("sr-cache");
  ConfigCache cache(dir.path, CacheMode::sealed, kKeyA);
  REQUIRE(cache.save({"v1", kConfig}).empty());
  const auto before = *sr::base::read_file(cache.path());
  const auto r = cache.rekey(kKeyB);
  CHECK(r.resealed);
  CHECK(r.warning.empty());
  CHECK(*sr::base::read_file(cache.path()) != before);
  // Sealed under key B now: a restart with the rotated key runs it ...
  auto with_b = ConfigCache(dir.path, CacheMode::sealed, kKeyB).load();
  REQUIRE(with_b);
  CHECK(with_b->config_json == kConfig);
  // ... and the previous key cannot open it (it is refused, not trusted).
  auto with_a = ConfigCache(dir.path, CacheMode::sealed, kKeyA).load();
  CHECK_FALSE(with_a);
  CHECK(with_a.refused);
  // The same key again is nothing to do; an unreadable key keeps the current one.
  REQUIRE(cache.save({"v2", kConfig}).empty());
  CHECK_FALSE(cache.rekey(kKeyB).resealed);
  const auto empty = cache.rekey("");
  CHECK(empty.warning.find("stays under the previous key") != std::string::npos);
  CHECK(cache.load()->version == "v2");
}

TEST_CASE("a cache sealed under the old key before a restart is refused, not trusted", "[agent][cache][sealed]") {
  sr::test::TempDir dir("sr-cache");
  REQUIRE(ConfigCache(dir.path, CacheMode::sealed, kKeyA).save({"v1", kConfig}).empty());
  ConfigCache rotated(dir.path, CacheMode::sealed, kKeyB);  // the key changed while the agent was down
  const auto loaded = rotated.load();
  CHECK_FALSE(loaded);
  CHECK(loaded.refused);
  CHECK(loaded.why.find(rotated.path().string() + ": cannot be opened with this agent's key") == 0);
  CHECK_FALSE(fs::exists(rotated.path()));
  // The next config is sealed under the new key.
  REQUIRE(rotated.save({"v2", kConfig}).empty());
  CHECK(rotated.load()->version == "v2");
}

TEST_CASE("background saves and rekeys run in order off the caller's thread, 0600 whatever the umask",
          "[agent][cache][durable]") {
  struct OpenUmask {
    mode_t old = ::umask(0);
    ~OpenUmask() { ::umask(old); }
  } umask0;
  sr::test::TempDir dir("sr-cache");
  {
    ConfigCache cache(dir.path, CacheMode::sealed, kKeyA);
    cache.save_in_background({"v1", kConfig});
    cache.rekey_in_background(kKeyB);
    cache.save_in_background({"v2", kConfig});
    cache.flush();
    CHECK(fs::status(cache.path()).permissions() == (fs::perms::owner_read | fs::perms::owner_write));
    cache.save_in_background({"v3", kConfig});
  }  // the destructor finishes queued work
  auto back = ConfigCache(dir.path, CacheMode::sealed, kKeyB).load();
  REQUIRE(back);
  CHECK(back->version == "v3");
  CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);  // no temporary left
}

TEST_CASE("leftovers of interrupted state writes are removed at start", "[agent][cache][durable]") {
  sr::test::TempDir dir("sr-cache");
  fs::create_directories(dir.path / "sources");
  std::ofstream(dir.path / "config-cache.json.tmp.0123456789ab") << "x";
  std::ofstream(dir.path / "config-cache.json.tmp") << "x";  // the name earlier versions used
  std::ofstream(dir.path / "sources" / "netbox-0123456789abcdef.seen.tmp") << "x";
  std::ofstream(dir.path / "config-cache.json") << "kept";
  CHECK(remove_state_leftovers(dir.path) == 3);
  CHECK(fs::exists(dir.path / "config-cache.json"));
  CHECK_FALSE(fs::exists(dir.path / "config-cache.json.tmp"));
  CHECK_FALSE(fs::exists(dir.path / "config-cache.json.tmp.0123456789ab"));
  CHECK_FALSE(fs::exists(dir.path / "sources" / "netbox-0123456789abcdef.seen.tmp"));
}
