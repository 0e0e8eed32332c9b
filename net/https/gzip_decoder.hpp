// Streaming gzip (and zlib) decoding of response bodies with zlib: input in
// whatever pieces the network delivers, output handed on piece by piece, so
// a body is never held whole. The output limit stops decompression bombs.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace sr::net::https {

class GzipDecoder {
 public:
  // `out` receives decoded bytes; returning false stops decoding.
  using Output = std::function<bool(std::string_view)>;
  GzipDecoder(std::size_t output_limit, Output out);
  ~GzipDecoder();
  GzipDecoder(const GzipDecoder&) = delete;
  GzipDecoder& operator=(const GzipDecoder&) = delete;

  // "" when fine so far, else why decoding stopped (corrupt data, the limit,
  // or the output said stop).
  std::string feed(std::string_view compressed);
  // After the last input: "" when the stream ended properly.
  std::string finish();
  std::size_t decoded_bytes() const { return decoded_; }

 private:
  struct State;
  std::unique_ptr<State> state_;
  std::size_t limit_, decoded_ = 0;
  Output out_;
  bool ended_ = false;
};

}  // namespace sr::net::https
