// The page targets' input: its first byte says where the rest is cut in two,
// as a body arrives in pieces (make_seeds writes seeds the same way).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace sr::fuzz {

struct TwoPieces {
  std::string_view first, second;
};

inline std::optional<TwoPieces> split_input(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return std::nullopt;
  const std::string_view all(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::size_t cut = all.empty() ? 0 : data[0] % (all.size() + 1);
  return TwoPieces{all.substr(0, cut), all.substr(cut)};
}

// Feeds both pieces to a streaming page parser, then finishes it, stopping at the first error.
template <class Parser>
void feed_in_two(Parser& parser, const TwoPieces& in) {
  if (parser.feed(in.first).empty() && parser.feed(in.second).empty()) (void)parser.finish();
}

}  // namespace sr::fuzz
