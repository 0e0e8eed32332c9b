// The admin token: read from a file, compared exactly, short tokens refused.
#include "tools/agent-gateway/admin/admin_token.hpp"

#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <fstream>

using sr::gateway::AdminToken;

namespace {

std::string write(const sr::test::TempDir& dir, const std::string& name, const std::string& text) {
  const auto path = dir.path / name;
  std::ofstream(path) << text;
  return path.string();
}

}  // namespace

TEST_CASE("the admin token allows exactly its bearer", "[admin]") {
  sr::test::TempDir dir("sr-admin-token");
  const auto token = AdminToken::from_file(write(dir, "token", "0123456789abcdef\nignored\n"));
  CHECK(token.enabled());
  CHECK(token.allows("Bearer 0123456789abcdef"));
  CHECK_FALSE(token.allows("Bearer 0123456789abcdeF"));
  CHECK_FALSE(token.allows("Bearer 0123456789abcde"));
  CHECK_FALSE(token.allows("Bearer 0123456789abcdef0"));
  CHECK_FALSE(token.allows("0123456789abcdef"));
  CHECK_FALSE(token.allows(""));
}

TEST_CASE("no token file: the admin API allows nobody", "[admin]") {
  AdminToken none;
  CHECK_FALSE(none.enabled());
  CHECK_FALSE(none.allows("Bearer "));
}

TEST_CASE("short or missing token files are refused naming the file", "[admin]") {
  sr::test::TempDir dir("sr-admin-token");
  const auto short_file = write(dir, "short", "tiny\n");
  CHECK_THROWS_WITH(AdminToken::from_file(short_file),
                    Catch::Contains(short_file) && Catch::Contains("at least 16 characters"));
  CHECK_THROWS_WITH(AdminToken::from_file((dir.path / "absent").string()),
                    Catch::Contains("absent"));
}
