#include "sync/adapters/netbox/netbox_page.hpp"

#include "sync/adapters/https/streaming_json.hpp"

// A named namespace, not an anonymous one: PageParser's Impl (a header's
// template) holds the Handler.
namespace sr::sync::netbox::page_json {

// The containers the parser is in: the page, its results array, one device,
// and inside a device the nested objects by key ("device_type", ...).
struct Frame {
  enum Kind { page, results, device, nested, other } kind;
  std::string key;   // the key whose value comes next
  std::string path;  // for nested: "device_type.manufacturer"
};

struct Handler : PageHandler<Handler, Frame, NetboxDevice, NetboxPageInfo> {
  static bool is_device(const Frame& f) { return f.kind == Frame::device; }
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

  void on_boolean(bool) { mismatch(); }

  // --- the rest of basic_parser's handler interface ---
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
  bool on_array_begin(error_code&) {
    if (top() == Frame::page && stack.back().key == "results") {
      stack.push_back({Frame::results, {}, {}});
    } else {
      mismatch();
      stack.push_back({Frame::other, {}, {}});
    }
    return true;
  }
};

}  // namespace sr::sync::netbox::page_json

template <>
struct sr::sync::PageHandlerFor<sr::sync::netbox::NetboxDevice> : std::type_identity<sr::sync::netbox::page_json::Handler> {};
template class sr::sync::PageParser<sr::sync::netbox::NetboxDevice, sr::sync::netbox::NetboxPageInfo>;
