#include "net/log/logger.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <fmt/chrono.h>
#include <fmt/core.h>

#include <atomic>
#include <chrono>
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

std::string quoted(std::string_view s) { return boost::json::serialize(boost::json::string(s)); }

}  // namespace

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
    if (!source.empty()) line += fmt::format("[{}] ", source);
    line += message;
  }
  line += '\n';
  std::lock_guard lock(g_out);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace sr::log
