#include "sync/pipeline/encoded_batch.hpp"

#include <fmt/format.h>

#include <limits>
#include <stdexcept>

namespace sr::sync {

std::string_view EncodedBatch::body(std::size_t i) const {
  const auto from = start(i);
  return std::string_view(text_).substr(from, entries_.at(i).end - from);
}

std::string_view EncodedBatch::ip(std::size_t i) const {
  const auto& e = entries_.at(i);
  return std::string_view(text_).substr(start(i) + e.ip_at, e.ip_size);
}

std::optional<std::int64_t> EncodedBatch::record_id(std::size_t i) const {
  const auto& e = entries_.at(i);
  if (!e.has_record) return std::nullopt;
  return e.record;
}

void EncodedBatch::clear() noexcept {
  text_.clear();
  entries_.clear();
}

void EncodedBatch::reserve(std::size_t devices, std::size_t bytes) {
  entries_.reserve(devices);
  text_.reserve(bytes);
}

void EncodedBatch::seal(std::size_t ip_at, std::size_t ip_size, std::optional<std::int64_t> record_id) {
  const auto from = start(size());
  if (ip_at < from || ip_at + ip_size > text_.size() || ip_size > std::numeric_limits<std::uint16_t>::max() ||
      ip_at - from > std::numeric_limits<std::uint32_t>::max())
    throw std::out_of_range(fmt::format("encoded batch: device {}'s IP ({} bytes at {}) is not inside its body "
                                        "(bytes {} to {})",
                                        size(), ip_size, ip_at, from, text_.size()));
  entries_.push_back({text_.size(), static_cast<std::uint32_t>(ip_at - from), static_cast<std::uint16_t>(ip_size),
                      record_id.has_value(), record_id.value_or(0)});
}

void EncodedBatch::drop_open() noexcept { text_.resize(bytes()); }

void EncodedBatch::add(const DeviceUpdate& d, std::optional<std::int64_t> record_id) {
  const auto from = text_.size();
  append_device_body(text_, d);
  // The first `,"ip":"` ends device_id: inside a JSON string every '"' is escaped.
  constexpr std::string_view kIpKey = R"(,"ip":")";
  const auto at = text_.find(kIpKey, from) + kIpKey.size();
  auto end = at;
  while (text_[end] != '"') end += text_[end] == '\\' ? 2 : 1;  // its closing quote
  seal(at, end - at, record_id);
}

}  // namespace sr::sync
