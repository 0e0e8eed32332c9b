#include "sync/device/device_update.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <ctime>

namespace sr::sync {

namespace {
constexpr char kHex[] = "0123456789abcdef";

bool needs_escape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

void append_field(std::string& out, std::string_view key, std::string_view value, bool& first) {
  if (!first) out += ',';
  first = false;
  out += '"';
  out += key;  // keys are ours: plain ASCII, nothing to escape
  out += "\":";
  append_json_string(out, value);
}
}  // namespace

// True when one of the 8 bytes is < 0x20, '"' or '\\' (may also flag a
// byte next to one of those; the byte loop then sorts it out).
inline bool word_needs_escape(std::uint64_t v) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
  const std::uint64_t quote = v ^ (ones * '"'), slash = v ^ (ones * '\\');
  const std::uint64_t control = (v - ones * 0x20) & ~v;
  return (((quote - ones) & ~quote) | ((slash - ones) & ~slash) | control) & highs;
}

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  std::size_t run = 0;  // start of the pending unescaped run
  std::size_t i = 0;
  for (;;) {
    // Plain text, 8 bytes at a time (the common case: nothing to escape).
    while (i + 8 <= s.size()) {
      std::uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      if (word_needs_escape(w)) break;
      i += 8;
    }
    const std::size_t end = std::min(s.size(), i + 8);
    for (; i < end; ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (!needs_escape(c)) continue;
      out.append(s.data() + run, i - run);
      run = i + 1;
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default: {
          const char esc[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
          out.append(esc, sizeof esc);
        }
      }
    }
    if (i >= s.size()) break;
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

void append_device_body(std::string& out, const DeviceUpdate& d) {
  out += '{';
  bool first = true;
  append_field(out, "device_id", d.device_id, first);
  append_field(out, "ip", d.ip, first);
  if (!d.mac.empty()) append_field(out, "mac", d.mac, first);
  if (!d.hostname.empty()) append_field(out, "hostname", d.hostname, first);
  append_field(out, "source", d.source, first);
  if (!d.agent_id.empty()) append_field(out, "agent_id", d.agent_id, first);
  if (!d.gateway_id.empty()) append_field(out, "gateway_id", d.gateway_id, first);
  append_field(out, "partition", d.partition.empty() ? std::string_view("default") : d.partition, first);
  append_field(out, "timestamp", d.timestamp, first);
  if (d.is_available) out += *d.is_available ? ",\"is_available\":true" : ",\"is_available\":false";
  fmt::format_to(std::back_inserter(out), ",\"confidence\":{}", d.confidence);
  if (!d.metadata.empty()) {
    out += ",\"metadata\":{";
    bool first_meta = true;
    for (const auto& [k, v] : d.metadata) {
      if (!first_meta) out += ',';
      first_meta = false;
      append_json_string(out, k.view());
      out += ':';
      append_json_string(out, v);
    }
    out += '}';
  }
}

std::string rfc3339_nanos(std::int64_t unix_ns) {
  std::int64_t secs = unix_ns / 1'000'000'000;
  std::int64_t nanos = unix_ns % 1'000'000'000;
  if (nanos < 0) {
    nanos += 1'000'000'000;
    --secs;
  }
  const std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, nanos);
}

std::int64_t unix_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace sr::sync
