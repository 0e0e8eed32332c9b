// Log lines as a log reader sees them: stderr captured into a file, then
// read back. A peer-supplied string (an HTTP reason, a device name, a JSON
// error) must stay inside its own line in both formats.
#include "base/log/logger.hpp"
#include "tests/support/temp_dir.hpp"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

// The lines written to stderr while `body` runs.
template <class Body>
std::vector<std::string> captured_lines(Body body) {
  sr::test::TempDir dir("sr-log-test");
  const auto file = (dir.path / "stderr.txt").string();
  std::fflush(stderr);
  const int saved = ::dup(2);
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  REQUIRE(saved >= 0);
  REQUIRE(fd >= 0);
  ::dup2(fd, 2);
  ::close(fd);
  body();
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

const std::string kForged = "HTTP 500 (bad)\nlevel=error msg=forged";

}  // namespace

TEST_CASE("text lines: a peer's CR, LF and other controls cannot start a line of their own",
          "[net][log]") {
  sr::log::configure("info", "text");
  const auto lines = captured_lines([] {
    sr::log::warn("armis-hq", kForged);
    sr::log::warn("src\r\n2026-01-01T00:00:00.000Z error [x] forged", "carriage\rreturn, tab\t, bell\a, del\x7f");
  });
  REQUIRE(lines.size() == 2);
  CHECK_THAT(lines[0], Catch::EndsWith(" warn  [armis-hq] HTTP 500 (bad)\\nlevel=error msg=forged"));
  CHECK_THAT(lines[1], Catch::Contains("[src\\r\\n2026-01-01T00:00:00.000Z error [x] forged] "));
  CHECK_THAT(lines[1], Catch::EndsWith("carriage\\rreturn, tab\\t, bell\\u0007, del\\u007f"));
  for (const auto& l : lines) CHECK(l.find('\r') == std::string::npos);
}

TEST_CASE("text escaping: invalid UTF-8 as \\xNN, C1 and line separators escaped, backslash doubled, "
          "valid UTF-8 kept",
          "[net][log]") {
  using sr::log::escape_text;
  CHECK(escape_text("plain text, 10.0.0.1:443/x?a=b") == "plain text, 10.0.0.1:443/x?a=b");
  CHECK(escape_text("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80") == "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  CHECK(escape_text("a\\nb") == "a\\\\nb");  // a literal backslash-n is not a newline escape
  CHECK(escape_text("\xff\xfe") == "\\xff\\xfe");
  CHECK(escape_text("\xc0\xaf") == "\\xc0\\xaf");          // overlong '/'
  CHECK(escape_text("\xed\xa0\x80") == "\\xed\\xa0\\x80");  // a surrogate
  CHECK(escape_text("cut \xe2\x82") == "cut \\xe2\\x82");   // truncated at the end
  CHECK(escape_text("nel \xc2\x85 ls \xe2\x80\xa8") == "nel \\u0085 ls \\u2028");
  CHECK(escape_text(std::string("nul\0x", 5)) == "nul\\u0000x");
}

TEST_CASE("JSON lines: one valid JSON object per line whatever the message holds", "[net][log]") {
  sr::log::configure("info", "json");
  const auto lines = captured_lines([] {
    sr::log::error("netbox\ndc", kForged + " \xff\xfe end");
  });
  sr::log::configure("info", "text");
  REQUIRE(lines.size() == 1);
  boost::system::error_code ec;
  auto doc = boost::json::parse(lines[0], ec);
  REQUIRE_FALSE(ec);
  CHECK(doc.at("source").as_string() == "netbox\ndc");
  CHECK(doc.at("msg").as_string() == kForged + " \xef\xbf\xbd\xef\xbf\xbd end");
  CHECK(doc.at("level").as_string() == "error");
}
