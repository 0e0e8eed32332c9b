// Addresses as integrations write them, made canonical: IPs (v4 and v6, or
// CIDR text with a host part), MACs in any common spelling, and the comma-
// separated lists Armis puts several of them in.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sr::sync {

// "10.0.0.1" -> "10.0.0.1"; "2001:DB8::0:1" -> "2001:db8::1"; junk -> none.
std::optional<std::string> canonical_ip(std::string_view text);

// The host part of "10.0.0.1/24" (NetBox addresses), canonical; also a bare IP.
std::optional<std::string> ip_of_cidr(std::string_view text);

// "aa:bb:cc:dd:ee:ff", "AA-BB-CC-DD-EE-FF", "aabb.ccdd.eeff", "aabbccddeeff"
// -> "AA:BB:CC:DD:EE:FF"; anything else -> none.
std::optional<std::string> normalise_mac(std::string_view text);

// The non-empty items of a list separated by commas, semicolons or white
// space: Armis writes "a,b", "a, b" and, from some collectors, "a; b" or "a b".
std::vector<std::string_view> split_list(std::string_view text);

// `s` without leading and trailing white space.
std::string_view trim_space(std::string_view s);

constexpr bool is_list_separator(char c) noexcept {
  return c == ',' || c == ';' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// The items of split_list, handed to f one by one (no vector: the
// per-device path); f returns false to stop.
template <class F>
void for_each_list_item(std::string_view text, F&& f) {
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_list_separator(text[i])) ++i;
    std::size_t end = i;
    while (end < text.size() && !is_list_separator(text[end])) ++end;
    if (end > i && !f(text.substr(i, end - i))) return;
    i = end;
  }
}

}  // namespace sr::sync
