// A page body fed to a Boost.JSON basic_parser piece by piece as it arrives,
// with errors that say where; the handler callbacks every page parser shares;
// PageParser's definitions. Include only from a page parser's .cpp (it pulls
// in the parser's implementation).
#pragma once

#include "sync/adapters/https/page_parser.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

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

// The parser's container stack. A popped frame is kept for the next push,
// its strings with their buffers: a page's thousands of objects cost no
// allocation for their keys and paths.
template <class Frame>
class FrameStack {
 public:
  bool empty() const noexcept { return size_ == 0; }
  Frame& back() noexcept { return frames_[size_ - 1]; }
  const Frame& back() const noexcept { return frames_[size_ - 1]; }
  // The new top frame, as an earlier one left it: the caller sets every field.
  Frame& push() {
    if (size_ == frames_.size()) frames_.emplace_back();
    return frames_[size_++];
  }
  void pop_back() noexcept { --size_; }

 private:
  std::vector<Frame> frames_;
  std::size_t size_ = 0;
};

// The basic_parser callbacks a page handler shares: keys and strings put
// together from their parts, integers sorted from what does not fit, the
// container stack, a device handed on as its object closes. Derived has
// on_object_begin, on_array_begin (pushing a Frame), on_text, on_integer,
// on_boolean, mismatch (a value of the wrong type) and
// `static bool is_device(const Frame&)`. Frame has a `key` (the key whose
// value comes next). The device object is the handler's own, reused for
// every device: a handler empties its fields (keeping their buffers) as a
// device's object begins.
template <class Derived, class Frame, class Device, class Info>
struct PageHandler {
  using error_code = boost::system::error_code;
  using string_view = boost::json::string_view;
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = 4096;
  static constexpr std::size_t max_string_size = std::size_t(64) << 20;

  typename PageParser<Device, Info>::OnDevice on_device;
  Info info;
  FrameStack<Frame> stack;
  Device device;
  std::string part;  // string or key parts so far
  bool stopped = false;

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_object_end(std::size_t, error_code& ec) {
    const bool device_ends = Derived::is_device(stack.back());
    stack.pop_back();
    if (!device_ends) return true;
    ++info.devices;
    if (on_device(device)) return true;
    stopped = true;
    ec = boost::json::error::extra_data;  // any error: the parser stops here
    return false;
  }
  bool on_array_end(std::size_t, error_code&) {
    stack.pop_back();
    return true;
  }
  bool on_key_part(string_view s, std::size_t, error_code&) {
    part.append(s.data(), s.size());
    return true;
  }
  bool on_key(string_view s, std::size_t, error_code&) {
    // assign, not move: both buffers keep their capacity (no allocation per key)
    auto& k = stack.back().key;
    k.assign(part);
    k.append(s.data(), s.size());
    part.clear();
    return true;
  }
  bool on_string_part(string_view s, std::size_t, error_code&) {
    part.append(s.data(), s.size());
    return true;
  }
  bool on_string(string_view s, std::size_t, error_code&) {
    if (part.empty()) {
      self().on_text(std::string_view(s.data(), s.size()));
    } else {
      part.append(s.data(), s.size());
      self().on_text(part);
      part.clear();
    }
    return true;
  }
  bool on_number_part(string_view, error_code&) { return true; }
  bool on_int64(std::int64_t v, string_view, error_code&) {
    self().on_integer(v);
    return true;
  }
  bool on_uint64(std::uint64_t v, string_view, error_code&) {
    if (v > static_cast<std::uint64_t>(INT64_MAX)) self().mismatch();
    else self().on_integer(static_cast<std::int64_t>(v));
    return true;
  }
  bool on_double(double, string_view, error_code&) {
    self().mismatch();
    return true;
  }
  bool on_bool(bool b, error_code&) {
    self().on_boolean(b);
    return true;
  }
  bool on_null(error_code&) { return true; }  // an absent value: nothing to skip
  bool on_comment_part(string_view, error_code&) { return true; }
  bool on_comment(string_view, error_code&) { return true; }

 private:
  Derived& self() { return static_cast<Derived&>(*this); }
};

// Which handler reads a page of Device (as `type`): specialised in the
// parser's .cpp before it instantiates PageParser<Device, Info>.
template <class Device>
struct PageHandlerFor;

template <class Device, class Info>
struct PageParser<Device, Info>::Impl {
  StreamingJson<typename PageHandlerFor<Device>::type> json;
};

template <class Device, class Info>
PageParser<Device, Info>::PageParser(OnDevice on_device) : impl_(std::make_unique<Impl>()) {
  impl_->json.handler().on_device = std::move(on_device);
}
template <class Device, class Info>
PageParser<Device, Info>::~PageParser() = default;
template <class Device, class Info>
std::string PageParser<Device, Info>::feed(std::string_view piece) {
  return impl_->json.feed(piece);
}
template <class Device, class Info>
std::string PageParser<Device, Info>::finish() {
  return impl_->json.finish();
}
template <class Device, class Info>
const Info& PageParser<Device, Info>::info() const {
  return impl_->json.handler().info;
}

}  // namespace sr::sync
