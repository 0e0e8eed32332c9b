#include "sync/device/address_text.hpp"

#include <arpa/inet.h>

#include <cctype>

namespace sr::sync {

std::string_view trim_space(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Dotted-quad text, written without printf (inet_ntop's cost per device).
std::string ipv4_text(const unsigned char (&b)[16]) {
  char out[16];
  char* p = out;
  for (int i = 0; i < 4; ++i) {
    if (i) *p++ = '.';
    const unsigned v = b[i];
    if (v >= 100) *p++ = static_cast<char>('0' + v / 100);
    if (v >= 10) *p++ = static_cast<char>('0' + v / 10 % 10);
    *p++ = static_cast<char>('0' + v % 10);
  }
  return std::string(out, p);
}

}  // namespace

std::optional<std::string> canonical_ip(std::string_view text) {
  text = trim_space(text);
  char in[INET6_ADDRSTRLEN + 1];
  if (text.empty() || text.size() >= sizeof in) return std::nullopt;
  text.copy(in, text.size());
  in[text.size()] = '\0';
  unsigned char bytes[16];
  char out[INET6_ADDRSTRLEN];
  if (::inet_pton(AF_INET, in, bytes) == 1) return ipv4_text(bytes);
  if (::inet_pton(AF_INET6, in, bytes) == 1) return std::string(::inet_ntop(AF_INET6, bytes, out, sizeof out));
  return std::nullopt;
}

std::optional<std::string> ip_of_cidr(std::string_view text) {
  return canonical_ip(text.substr(0, text.find('/')));
}

std::optional<std::string> normalise_mac(std::string_view text) {
  text = trim_space(text);
  // Separators must be consistent with one of the common spellings.
  const bool colon = text.size() == 17 && text[2] == ':';
  const bool dash = text.size() == 17 && text[2] == '-';
  const bool cisco = text.size() == 14 && text[4] == '.' && text[9] == '.';
  const bool bare = text.size() == 12;
  if (!(colon || dash || cisco || bare)) return std::nullopt;
  constexpr char kUpper[] = "0123456789ABCDEF";
  std::string out(17, ':');
  std::size_t digits = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool separator_slot = (colon || dash) ? i % 3 == 2 : cisco ? (i == 4 || i == 9) : false;
    if (separator_slot) {
      if (c != (colon ? ':' : dash ? '-' : '.')) return std::nullopt;
      continue;
    }
    const int v = hex_value(c);
    if (v < 0 || digits == 12) return std::nullopt;
    out[digits / 2 * 3 + digits % 2] = kUpper[v];
    ++digits;
  }
  if (digits != 12) return std::nullopt;
  return out;
}

std::vector<std::string_view> split_list(std::string_view text) {
  std::vector<std::string_view> items;
  for_each_list_item(text, [&](std::string_view item) {
    items.push_back(item);
    return true;
  });
  return items;
}

}  // namespace sr::sync
