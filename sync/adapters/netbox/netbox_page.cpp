#include "sync/adapters/netbox/netbox_page.hpp"

#include "sync/adapters/https/streaming_json.hpp"

// A named namespace, not an anonymous one: PageParser's Impl (a header's
// template) holds the Handler.
namespace sr::sync::netbox::page_json {

using namespace std::string_view_literals;

// The containers the parser is in: the page, its results array, one device,
// and inside a device the nested objects by key ("device_type", ...).
struct Frame {
  enum Kind { page, results, device, nested, other } kind;
  std::string key;   // the key whose value comes next
  std::string path;  // for nested: "device_type.manufacturer"
};

// A device emptied for the next one, its strings keeping their capacity:
// the page's devices are read into one object without allocating per field.
inline void clear(NetboxDevice& d) {
  d.id.reset();
  for (auto* s : {&d.name, &d.manufacturer, &d.model, &d.role, &d.site, &d.status, &d.serial, &d.description,
                  &d.last_updated, &d.primary_ip4, &d.primary_ip6})
    s->clear();
}

struct Handler : PageHandler<Handler, Frame, NetboxDevice, NetboxPageInfo> {
  static bool is_device(const Frame& f) { return f.kind == Frame::device; }
  Frame::Kind top() const { return stack.empty() ? Frame::other : stack.back().kind; }

  std::string path_;  // field_path()'s, kept: no allocation per value

  void push(Frame::Kind kind, std::string_view path = {}) {
    auto& f = stack.push();
    f.kind = kind;
    f.key.clear();
    f.path.assign(path);
  }

  // The dotted path of the value that comes next inside the current device.
  const std::string& field_path() {
    const auto& f = stack.back();
    if (f.kind != Frame::nested) return f.key;
    path_.assign(f.path);
    path_ += '.';
    path_ += f.key;
    return path_;
  }

  // string_view against string_view: a length that differs is no memcmp.
  std::string* text_field(std::string_view p) {
    if (p == "name"sv) return &device.name;
    if (p == "device_type.manufacturer.name"sv) return &device.manufacturer;
    if (p == "device_type.model"sv) return &device.model;
    if (p == "role.name"sv || p == "device_role.name"sv) return &device.role;
    if (p == "site.name"sv) return &device.site;
    if (p == "status.value"sv) return &device.status;
    if (p == "primary_ip4.address"sv) return &device.primary_ip4;
    if (p == "primary_ip6.address"sv) return &device.primary_ip6;
    if (p == "serial"sv) return &device.serial;
    if (p == "description"sv) return &device.description;
    if (p == "last_updated"sv) return &device.last_updated;
    return nullptr;
  }
  bool known(std::string_view p) { return p == "id"sv || text_field(p) != nullptr; }
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
    const auto& p = field_path();
    if (auto* field = text_field(p)) {
      // role wins over the older device_role when both are present
      if (field == &device.role && !device.role.empty() && p == "device_role.name"sv) return;
      field->assign(s);
    } else if (p == "id"sv) {
      ++info.skipped_fields;
    }
  }

  void on_integer(std::int64_t v) {
    if (top() == Frame::page && stack.back().key == "count") {
      info.count = v;
      return;
    }
    if (!in_device()) return;
    if (top() == Frame::device && field_path() == "id"sv) device.id = v;
    else mismatch();
  }

  void on_boolean(bool) { mismatch(); }

  // --- the rest of basic_parser's handler interface ---
  bool on_object_begin(error_code&) {
    if (stack.empty()) {
      push(Frame::page);
    } else if (top() == Frame::results) {
      clear(device);
      push(Frame::device);
    } else if (in_device()) {
      path_.assign(field_path());  // out of the stack first: push() may move its frames
      push(Frame::nested, path_);
    } else {
      push(Frame::other);
    }
    return true;
  }
  bool on_array_begin(error_code&) {
    if (top() == Frame::page && stack.back().key == "results") {
      push(Frame::results);
    } else {
      mismatch();
      push(Frame::other);
    }
    return true;
  }
};

}  // namespace sr::sync::netbox::page_json

template <>
struct sr::sync::PageHandlerFor<sr::sync::netbox::NetboxDevice> : std::type_identity<sr::sync::netbox::page_json::Handler> {};
template class sr::sync::PageParser<sr::sync::netbox::NetboxDevice, sr::sync::netbox::NetboxPageInfo>;
