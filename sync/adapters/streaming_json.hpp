// A page body fed to a Boost.JSON basic_parser piece by piece as it arrives,
// with errors that say where: shared by the Armis and NetBox page parsers.
// Include only from .cpp files (it pulls in the parser's implementation).
#pragma once

#include <boost/json/basic_parser_impl.hpp>
#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace sr::sync {

// Handler: a basic_parser handler with a `bool stopped` its callbacks set
// when the reader asked to stop.
template <class Handler>
class StreamingJson {
 public:
  StreamingJson() : parser_(boost::json::parse_options{}) {}
  Handler& handler() { return parser_.handler(); }
  const Handler& handler() const { return parser_.handler(); }

  // "" while fine, "stopped", or what is wrong and at which byte.
  std::string feed(std::string_view piece) {
    while (!piece.empty()) {
      boost::system::error_code ec;
      const std::size_t used = parser_.write_some(true, piece.data(), piece.size(), ec);
      offset_ += used;
      if (parser_.handler().stopped) return "stopped";
      if (ec) return fmt::format("page is not valid JSON at byte {}: {}", offset_, ec.message());
      piece.remove_prefix(used);
      if (parser_.done() && !piece.empty())
        return fmt::format("page has data after its JSON at byte {}", offset_);
    }
    return {};
  }

  // After the last piece: "" when the document was whole.
  std::string finish() {
    if (!parser_.done()) {
      boost::system::error_code ec;
      parser_.write_some(false, nullptr, 0, ec);
      if (ec || !parser_.done())
        return fmt::format("page ends early at byte {} (truncated JSON)", offset_);
    }
    return {};
  }

 private:
  boost::json::basic_parser<Handler> parser_;
  std::uint64_t offset_ = 0;
};

}  // namespace sr::sync
