#include "net/https/gzip_decoder.hpp"

#include <zlib.h>

#include <array>
#include <stdexcept>

namespace sr::net::https {

struct GzipDecoder::State {
  z_stream z{};
  std::array<unsigned char, 64 * 1024> buffer{};
};

GzipDecoder::GzipDecoder(std::size_t output_limit, Output out)
    : state_(std::make_unique<State>()), limit_(output_limit), out_(std::move(out)) {
  // 32 + MAX_WBITS: accept a gzip or a zlib header, whichever the server sent.
  if (inflateInit2(&state_->z, 32 + MAX_WBITS) != Z_OK)
    throw std::runtime_error("zlib: cannot initialise the decoder");
}

GzipDecoder::~GzipDecoder() { inflateEnd(&state_->z); }

std::string GzipDecoder::feed(std::string_view compressed) {
  auto& z = state_->z;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  z.avail_in = static_cast<uInt>(compressed.size());
  while (!ended_) {
    z.next_out = state_->buffer.data();
    z.avail_out = static_cast<uInt>(state_->buffer.size());
    const int rc = inflate(&z, Z_NO_FLUSH);
    if (rc == Z_STREAM_END) ended_ = true;
    else if (rc != Z_OK && rc != Z_BUF_ERROR)
      return std::string("gzip body is corrupt: ") + (z.msg ? z.msg : "inflate failed");
    const std::size_t produced = state_->buffer.size() - z.avail_out;
    decoded_ += produced;
    if (decoded_ > limit_)
      return "gzip body decodes to more than the " + std::to_string(limit_) + " byte limit";
    if (produced &&
        !out_(std::string_view(reinterpret_cast<const char*>(state_->buffer.data()), produced)))
      return "stopped by the reader";
    // Done with this input once it is consumed and the output did not fill up.
    if (rc == Z_BUF_ERROR || (z.avail_in == 0 && z.avail_out != 0)) break;
  }
  if (ended_ && z.avail_in > 0) return "data after the end of the gzip stream";
  return {};
}

std::string GzipDecoder::finish() {
  if (!ended_) return "gzip body ends before its stream does (truncated)";
  return {};
}

}  // namespace sr::net::https
