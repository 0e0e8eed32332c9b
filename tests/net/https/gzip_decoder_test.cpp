// Streaming gzip decoding: split anywhere, limits, corruption, truncation.
#include "net/https/gzip_decoder.hpp"

#include <catch2/catch.hpp>
#include <zlib.h>

using sr::net::https::GzipDecoder;

namespace {

std::string gzip(const std::string& in) {
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, in.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string sample(std::size_t n) {
  std::string s;
  for (std::size_t i = 0; s.size() < n; ++i) s += "{\"id\":" + std::to_string(i * 7919 % 100003) + "},";
  s.resize(n);
  return s;
}

}  // namespace

TEST_CASE("gzip bodies decode the same whatever the input pieces", "[https][gzip]") {
  const auto plain = sample(300'000);
  const auto packed = gzip(plain);
  for (std::size_t piece : {std::size_t{1}, std::size_t{7}, std::size_t{4096}, packed.size()}) {
    std::string out;
    GzipDecoder d(1 << 20, [&](std::string_view s) {
      out.append(s);
      return true;
    });
    for (std::size_t at = 0; at < packed.size(); at += piece)
      REQUIRE(d.feed(std::string_view(packed).substr(at, piece)).empty());
    CHECK(d.finish().empty());
    CHECK(out == plain);
    CHECK(d.decoded_bytes() == plain.size());
  }
}

TEST_CASE("a decompression bomb stops at the limit", "[https][gzip]") {
  const auto bomb = gzip(std::string(50 << 20, '\0'));  // 50 MiB of zeros, ~50 KiB packed
  std::size_t seen = 0;
  GzipDecoder d(1 << 20, [&](std::string_view s) {
    seen += s.size();
    return true;
  });
  const auto err = d.feed(bomb);
  CHECK(err == "gzip body decodes to more than the 1048576 byte limit");
  CHECK(seen <= (1 << 20));
}

TEST_CASE("corrupt, truncated and trailing data are errors", "[https][gzip]") {
  auto packed = gzip(sample(10'000));
  auto sink = [](std::string_view) { return true; };
  {
    GzipDecoder d(1 << 20, sink);
    CHECK_THAT(d.feed("this is not gzip at all"), Catch::StartsWith("gzip body is corrupt"));
  }
  {
    GzipDecoder d(1 << 20, sink);
    CHECK(d.feed(std::string_view(packed).substr(0, packed.size() / 2)).empty());
    CHECK(d.finish() == "gzip body ends before its stream does (truncated)");
  }
  {
    GzipDecoder d(1 << 20, sink);
    CHECK(d.feed(packed + "junk") == "data after the end of the gzip stream");
  }
  {
    GzipDecoder d(1 << 20, [](std::string_view) { return false; });
    CHECK(d.feed(packed) == "stopped by the reader");
  }
}
