#include "contract/device_json.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace sr::contract {

namespace {

constexpr char kHex[] = "0123456789abcdef";

bool needs_escape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

// True when one of the 8 bytes is < 0x20, '"' or '\\' (may also flag a
// byte next to one of those; the byte loop then sorts it out).
inline bool word_needs_escape(std::uint64_t v) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
  const std::uint64_t quote = v ^ (ones * '"'), slash = v ^ (ones * '\\');
  const std::uint64_t control = (v - ones * 0x20) & ~v;
  return (((quote - ones) & ~quote) | ((slash - ones) & ~slash) | control) & highs;
}

void append_escaped(std::string& out, unsigned char c) {
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

}  // namespace

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
      append_escaped(out, c);
    }
    if (i >= s.size()) break;
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

void append_json_key(std::string& out, std::string_view key) {
  out += '"';
  out += key;
  out += "\":";
}

void append_json_field(std::string& out, std::string_view key, std::string_view value, bool& first) {
  if (!first) out += ',';
  first = false;
  append_json_key(out, key);
  append_json_string(out, value);
}

}  // namespace sr::contract
