// The config cache: sealed by default (no credential readable on disk),
// opened only with the same agent key, plain on request, tamper-evident.
#include "agent/state/config_cache.hpp"
#include "net/read_file.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

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
  const auto text = sr::net::read_file(cache.path().string());
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
  CHECK(other.error().find("cannot be opened with this agent's key") != std::string::npos);

  ConfigCache cache(dir.path, CacheMode::sealed, kKeyA);
  auto text = *sr::net::read_file(cache.path().string());
  // Claim another version: the version is authenticated, so opening fails.
  const auto at = text.find("\"v1\"");
  REQUIRE(at != std::string::npos);
  text.replace(at, 4, "\"v9\"");
  std::ofstream(cache.path()) << text;
  CHECK_FALSE(cache.load());
  std::ofstream(cache.path()) << "not json";
  CHECK(cache.load().error().find("damaged") != std::string::npos);
}

TEST_CASE("plain is readable by choice; off keeps nothing; none yet is a clear miss", "[agent][cache]") {
  sr::test::TempDir dir("sr-cache");
  CHECK(ConfigCache(dir.path, CacheMode::sealed, kKeyA).load().error().find("no cached config") != std::string::npos);
  ConfigCache plain(dir.path, CacheMode::plain, "");
  REQUIRE(plain.save({"v3", kConfig}).empty());
  CHECK(sr::net::read_file(plain.path().string())->find("SECRET-cache-4d1e") != std::string::npos);
  CHECK(plain.load()->config_json == kConfig);
  fs::remove(plain.path());
  ConfigCache off(dir.path, CacheMode::off, kKeyA);
  REQUIRE(off.save({"v4", kConfig}).empty());
  CHECK_FALSE(fs::exists(off.path()));
  CHECK(ConfigCache(dir.path, CacheMode::sealed, "").save({"v5", kConfig}).find("no private key") == 0);
}
