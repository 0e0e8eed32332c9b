// A page whose devices are written as chunk bodies while it is parsed: each
// device, as its object closes, goes to `encode` as the parser's own object
// (no copy, no move: the parser reuses it and its buffers) and lands in one
// EncodedBatch. No DeviceUpdate, no vector of devices.
#pragma once

#include "sync/adapters/https/https_source.hpp"
#include "sync/pipeline/encoded_batch.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace sr::sync {

// Parser: a PageParser<Device, Info>. Encode: bool(const Device&,
// EncodedBatch&), false (nothing appended) for a device without a usable IP.
template <class Parser, class Encode>
class EncodedPage final : public PageReading {
 public:
  using Device = typename Parser::Device;
  explicit EncodedPage(Encode encode) : encode_(std::move(encode)) { EncodedPage::restart(); }
  EncodedPage(const EncodedPage&) = delete;  // the parser's callback holds `this`
  EncodedPage& operator=(const EncodedPage&) = delete;

  // A fresh parser; what a failed attempt wrote is gone.
  void restart() override {
    batch_.clear();
    skipped_ = 0;
    parser_ = std::make_unique<Parser>([this](Device& d) {
      if (!encode_(std::as_const(d), batch_)) ++skipped_;
      return true;
    });
  }
  std::string feed(std::string_view piece) override { return parser_->feed(piece); }
  std::string finish() override { return parser_->finish(); }

  // The page's bodies; the caller may move them out (restart() starts afresh).
  EncodedBatch& batch() noexcept { return batch_; }
  const typename Parser::Info& info() const { return parser_->info(); }
  // Devices left out for want of a usable IP (fields of the wrong type are
  // the parser's: info().skipped_fields).
  std::uint64_t skipped() const noexcept { return skipped_; }

 private:
  Encode encode_;
  EncodedBatch batch_;
  std::uint64_t skipped_ = 0;
  std::unique_ptr<Parser> parser_;
};

}  // namespace sr::sync
