#include "sync/device/address_text.hpp"

#include <arpa/inet.h>

#include <cctype>

namespace sr::sync {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string> canonical_ip(std::string_view text) {
  text = trim(text);
  char in[INET6_ADDRSTRLEN + 1];
  if (text.empty() || text.size() >= sizeof in) return std::nullopt;
  text.copy(in, text.size());
  in[text.size()] = '\0';
  unsigned char bytes[16];
  char out[INET6_ADDRSTRLEN];
  if (::inet_pton(AF_INET, in, bytes) == 1) return std::string(::inet_ntop(AF_INET, bytes, out, sizeof out));
  if (::inet_pton(AF_INET6, in, bytes) == 1) return std::string(::inet_ntop(AF_INET6, bytes, out, sizeof out));
  return std::nullopt;
}

std::optional<std::string> ip_of_cidr(std::string_view text) {
  return canonical_ip(text.substr(0, text.find('/')));
}

std::optional<std::string> normalise_mac(std::string_view text) {
  text = trim(text);
  std::string hex;
  hex.reserve(12);
  // Separators must be consistent with one of the common spellings.
  const bool colon = text.size() == 17 && text[2] == ':';
  const bool dash = text.size() == 17 && text[2] == '-';
  const bool cisco = text.size() == 14 && text[4] == '.' && text[9] == '.';
  const bool bare = text.size() == 12;
  if (!(colon || dash || cisco || bare)) return std::nullopt;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool separator_slot = (colon || dash) ? i % 3 == 2 : cisco ? (i == 4 || i == 9) : false;
    if (separator_slot) {
      if (c != (colon ? ':' : dash ? '-' : '.')) return std::nullopt;
      continue;
    }
    if (hex_value(c) < 0) return std::nullopt;
    hex += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  if (hex.size() != 12) return std::nullopt;
  std::string out;
  out.reserve(17);
  for (std::size_t i = 0; i < 12; i += 2) {
    if (i) out += ':';
    out.append(hex, i, 2);
  }
  return out;
}

std::vector<std::string_view> split_list(std::string_view text) {
  std::vector<std::string_view> items;
  while (!text.empty()) {
    const auto comma = text.find(',');
    auto item = trim(text.substr(0, comma));
    if (!item.empty()) items.push_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return items;
}

}  // namespace sr::sync
