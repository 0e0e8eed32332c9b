#include "base/log/logger.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <fmt/chrono.h>
#include <fmt/core.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>

namespace sr::log {

namespace {

std::atomic<int> g_level{static_cast<int>(Level::info)};
std::atomic<bool> g_json{false};
std::mutex g_out;  // whole lines, never interleaved

const char* name(Level l) {
  switch (l) {
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warn: return "warn";
    case Level::error: return "error";
  }
  return "info";
}

std::string quoted(std::string_view s) { return boost::json::serialize(boost::json::string(valid_utf8(s))); }

// The well-formed UTF-8 sequence at s[i] (Unicode 15, table 3-7: no
// overlongs, no surrogates, nothing past U+10FFFF): its length and code
// point; length 0 when s[i] starts none.
struct Utf8Char {
  std::size_t length = 0;
  char32_t code = 0;
};

Utf8Char utf8_at(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char b0 = byte(0);
  if (b0 < 0x80) return {1, b0};
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // bounds of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) n = 2;
  else if (b0 >= 0xE0 && b0 <= 0xEF) n = 3, lo = b0 == 0xE0 ? 0xA0 : 0x80, hi = b0 == 0xED ? 0x9F : 0xBF;
  else if (b0 >= 0xF0 && b0 <= 0xF4) n = 4, lo = b0 == 0xF0 ? 0x90 : 0x80, hi = b0 == 0xF4 ? 0x8F : 0xBF;
  else return {};
  if (i + n > s.size() || byte(1) < lo || byte(1) > hi) return {};
  char32_t code = b0 & (0x7F >> n);
  for (std::size_t k = 1; k < n; ++k) {
    if ((byte(k) & 0xC0) != 0x80) return {};
    code = (code << 6) | (byte(k) & 0x3F);
  }
  return {n, code};
}

bool needs_escape(char32_t c) {
  return c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F) || c == 0x2028 || c == 0x2029;
}

void append_escaped(std::string& out, char32_t c) {
  switch (c) {
    case '\n': out += "\\n"; return;
    case '\r': out += "\\r"; return;
    case '\t': out += "\\t"; return;
    default: out += fmt::format("\\u{:04x}", static_cast<std::uint32_t>(c));
  }
}

}  // namespace

std::string escape_text(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto c = utf8_at(s, i);
    if (c.length == 0) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(s[i]));
      ++i;
      continue;
    }
    if (c.code == '\\') out += "\\\\";
    else if (needs_escape(c.code)) append_escaped(out, c.code);
    else out.append(s.substr(i, c.length));
    i += c.length;
  }
  return out;
}

std::string valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto c = utf8_at(s, i);
    if (c.length == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
      continue;
    }
    out.append(s.substr(i, c.length));
    i += c.length;
  }
  return out;
}

void configure(std::string_view level, std::string_view format) {
  Level l = Level::info;
  if (level == "debug") l = Level::debug;
  else if (level == "warn") l = Level::warn;
  else if (level == "error") l = Level::error;
  g_level = static_cast<int>(l);
  g_json = format == "json";
}

bool enabled(Level level) { return static_cast<int>(level) >= g_level.load(); }

void write(Level level, std::string_view source, std::string_view message) {
  if (!enabled(level)) return;
  const auto now = std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
  std::string line;
  if (g_json) {
    line = fmt::format(R"({{"time":"{:%FT%T}Z","level":"{}",)", now, name(level));
    if (!source.empty()) line += fmt::format(R"("source":{},)", quoted(source));
    line += fmt::format(R"("msg":{}}})", quoted(message));
  } else {
    line = fmt::format("{:%FT%T}Z {:5} ", now, name(level));
    if (!source.empty()) line += fmt::format("[{}] ", escape_text(source));
    line += escape_text(message);
  }
  line += '\n';
  std::lock_guard lock(g_out);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace sr::log
