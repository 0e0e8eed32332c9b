// A batch of devices already written as chunk JSON: each device's body (the
// format of append_device_body: a JSON object without its closing brace)
// back to back in one string, with what the runner and the source still need
// per device (its IP for network_blacklist, the source's record id for
// retractions). Encoders write bodies straight from a parser's fields, so a
// device costs no DeviceUpdate and no allocation of its own.
#pragma once

#include "sync/device/device_update.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sr::sync {

class EncodedBatch {
 public:
  std::size_t size() const noexcept { return entries_.size(); }
  bool empty() const noexcept { return entries_.empty(); }
  // Body bytes of the sealed devices.
  std::size_t bytes() const noexcept { return entries_.empty() ? 0 : entries_.back().end; }

  // Device i's body, without its closing brace.
  std::string_view body(std::size_t i) const;
  // Device i's "ip" value as written (a canonical IP has nothing to escape).
  std::string_view ip(std::size_t i) const;
  // The source's id of device i's record (NetBox, Armis device id); none when absent.
  std::optional<std::int64_t> record_id(std::size_t i) const;

  // Empties the batch; its buffers keep their capacity.
  void clear() noexcept;
  void reserve(std::size_t devices, std::size_t bytes);

  // Writing, for encoders: append one body to text(), then seal() it (its IP
  // at ip_at, an offset into text()) or drop_open() it.
  std::string& text() noexcept { return text_; }
  void seal(std::size_t ip_at, std::size_t ip_size, std::optional<std::int64_t> record_id);
  void drop_open() noexcept;

  // A DeviceUpdate as a body (append_device_body), e.g. a retraction.
  void add(const DeviceUpdate& d, std::optional<std::int64_t> record_id = std::nullopt);

 private:
  // 24 bytes a device; offsets into text_.
  struct Entry {
    std::size_t end;        // one past the body's last byte
    std::uint32_t ip_at;    // from the body's first byte
    std::uint16_t ip_size;  // an IP is at most 45 characters
    bool has_record;
    std::int64_t record;
  };
  std::size_t start(std::size_t i) const noexcept { return i == 0 ? 0 : entries_[i - 1].end; }

  std::string text_;
  std::vector<Entry> entries_;
};

}  // namespace sr::sync
