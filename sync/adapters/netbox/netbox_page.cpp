#include "sync/adapters/netbox/netbox_page.hpp"

#include "sync/adapters/streaming_json.hpp"

#include <vector>

namespace sr::sync::netbox {

namespace json = boost::json;
using boost::system::error_code;

namespace {

// The containers the parser is in: the page, its results array, one device,
// and inside a device the nested objects by key ("device_type", ...).
struct Frame {
  enum Kind { page, results, device, nested, other } kind;
  std::string key;   // the key whose value comes next
  std::string path;  // for nested: "device_type.manufacturer"
};

struct Handler {
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = 4096;
  static constexpr std::size_t max_string_size = std::size_t(64) << 20;

  NetboxPageParser::OnDevice on_device;
  NetboxPageInfo info;
  std::vector<Frame> stack;
  NetboxDevice device;
  std::string part;
  bool stopped = false;

  Frame::Kind top() const { return stack.empty() ? Frame::other : stack.back().kind; }

  // The dotted path of the value that comes next inside the current device.
  std::string field_path() const {
    const auto& f = stack.back();
    return f.kind == Frame::nested ? f.path + "." + f.key : f.key;
  }

  std::string* text_field(const std::string& p) {
    if (p == "name") return &device.name;
    if (p == "device_type.manufacturer.name") return &device.manufacturer;
    if (p == "device_type.model") return &device.model;
    if (p == "role.name" || p == "device_role.name") return &device.role;
    if (p == "site.name") return &device.site;
    if (p == "status.value") return &device.status;
    if (p == "primary_ip4.address") return &device.primary_ip4;
    if (p == "primary_ip6.address") return &device.primary_ip6;
    if (p == "serial") return &device.serial;
    if (p == "description") return &device.description;
    if (p == "last_updated") return &device.last_updated;
    return nullptr;
  }
  bool known(const std::string& p) { return p == "id" || text_field(p) != nullptr; }
  bool in_device() const { return top() == Frame::device || top() == Frame::nested; }
  void mismatch() {
    if (in_device() && known(field_path())) ++info.skipped_fields;
  }

  void on_text(std::string_view s) {
    if (top() == Frame::page && stack.back().key == "next") {
      info.next = std::string(s);
      return;
    }
    if (!in_device()) return;
    const auto p = field_path();
    if (auto* field = text_field(p)) {
      // role wins over the older device_role when both are present
      if (field == &device.role && !device.role.empty() && p == "device_role.name") return;
      field->assign(s);
    } else if (p == "id") {
      ++info.skipped_fields;
    }
  }

  void on_integer(std::int64_t v) {
    if (top() == Frame::page && stack.back().key == "count") {
      info.count = v;
      return;
    }
    if (!in_device()) return;
    if (field_path() == "id" && top() == Frame::device) device.id = v;
    else mismatch();
  }

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_object_begin(error_code&) {
    if (stack.empty()) {
      stack.push_back({Frame::page, {}, {}});
    } else if (top() == Frame::results) {
      device = NetboxDevice{};
      stack.push_back({Frame::device, {}, {}});
    } else if (in_device()) {
      stack.push_back({Frame::nested, {}, field_path()});
    } else {
      stack.push_back({Frame::other, {}, {}});
    }
    return true;
  }
  bool on_object_end(std::size_t, error_code& ec) {
    const auto kind = top();
    stack.pop_back();
    if (kind == Frame::device) {
      ++info.devices;
      if (!on_device(device)) {
        stopped = true;
        ec = json::error::extra_data;
        return false;
      }
    }
    return true;
  }
  bool on_array_begin(error_code&) {
    if (top() == Frame::page && stack.back().key == "results") {
      stack.push_back({Frame::results, {}, {}});
    } else {
      mismatch();
      stack.push_back({Frame::other, {}, {}});
    }
    return true;
  }
  bool on_array_end(std::size_t, error_code&) {
    stack.pop_back();
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, error_code&) {
    part.append(s.data(), s.size());
    return true;
  }
  bool on_key(json::string_view s, std::size_t, error_code&) {
    // assign, not move: both buffers keep their capacity (no allocation per key)
    auto& k = stack.back().key;
    k.assign(part);
    k.append(s.data(), s.size());
    part.clear();
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, error_code&) {
    part.append(s.data(), s.size());
    return true;
  }
  bool on_string(json::string_view s, std::size_t, error_code&) {
    if (part.empty()) {
      on_text(std::string_view(s.data(), s.size()));
    } else {
      part.append(s.data(), s.size());
      on_text(part);
      part.clear();
    }
    return true;
  }
  bool on_number_part(json::string_view, error_code&) { return true; }
  bool on_int64(std::int64_t v, json::string_view, error_code&) {
    on_integer(v);
    return true;
  }
  bool on_uint64(std::uint64_t v, json::string_view, error_code&) {
    if (v > static_cast<std::uint64_t>(INT64_MAX)) mismatch();
    else on_integer(static_cast<std::int64_t>(v));
    return true;
  }
  bool on_double(double, json::string_view, error_code&) {
    mismatch();
    return true;
  }
  bool on_bool(bool, error_code&) {
    mismatch();
    return true;
  }
  bool on_null(error_code&) { return true; }
  bool on_comment_part(json::string_view, error_code&) { return true; }
  bool on_comment(json::string_view, error_code&) { return true; }
};

}  // namespace

struct NetboxPageParser::Impl {
  StreamingJson<Handler> json;
};

NetboxPageParser::NetboxPageParser(OnDevice on_device) : impl_(std::make_unique<Impl>()) {
  impl_->json.handler().on_device = std::move(on_device);
}
NetboxPageParser::~NetboxPageParser() = default;

std::string NetboxPageParser::feed(std::string_view piece) { return impl_->json.feed(piece); }
std::string NetboxPageParser::finish() { return impl_->json.finish(); }
const NetboxPageInfo& NetboxPageParser::info() const { return impl_->json.handler().info; }

}  // namespace sr::sync::netbox
