#include "sync/adapters/armis/armis_page.hpp"

#include "sync/adapters/https/streaming_json.hpp"

// A named namespace, not an anonymous one: PageParser's Impl (a header's
// template) holds the Handler.
namespace sr::sync::armis::page_json {

// Where the parser is: which container it is inside and what that container is.
enum class Role { root, data, results, device, tags, other };

struct Frame {
  Role role;
  std::string key;  // the key whose value comes next (objects)
};

// A device emptied for the next one, its strings keeping their capacity:
// the page's devices are read into one object without allocating per field.
inline void clear(ArmisDevice& d) {
  d.id.reset();
  for (auto* s : {&d.ip_address, &d.mac_address, &d.name, &d.type, &d.category, &d.manufacturer, &d.model,
                  &d.operating_system, &d.boundaries, &d.first_seen, &d.last_seen})
    s->clear();
  d.risk_level = 0;
  d.tags.clear();
}

struct Handler : PageHandler<Handler, Frame, ArmisDevice, ArmisPageInfo> {
  static bool is_device(const Frame& f) { return f.role == Role::device; }
  Role top() const { return stack.empty() ? Role::other : stack.back().role; }
  void push(Role role) {
    auto& f = stack.push();
    f.role = role;
    f.key.clear();
  }
  const std::string& key() const {
    static const std::string none;
    return stack.empty() ? none : stack.back().key;
  }
  Role child_role(bool object) const {
    if (stack.empty()) return object ? Role::root : Role::other;
    const auto& k = key();
    switch (top()) {
      case Role::root: return object && k == "data" ? Role::data : Role::other;
      case Role::data: return !object && k == "results" ? Role::results : Role::other;
      case Role::results: return object ? Role::device : Role::other;
      case Role::device: return !object && k == "tags" ? Role::tags : Role::other;
      default: return Role::other;
    }
  }
  enum class Kind { text, integer, tags, unknown };
  static Kind kind_of(std::string_view k) {
    for (auto name : {"ipAddress", "macAddress", "name", "type", "category", "manufacturer",
                      "model", "operatingSystem", "boundaries", "firstSeen", "lastSeen"})
      if (k == name) return Kind::text;
    if (k == "id" || k == "riskLevel") return Kind::integer;
    if (k == "tags") return Kind::tags;
    return Kind::unknown;
  }
  // A device field of the wrong type: left out and counted (never the page).
  void mismatch() {
    if (top() == Role::tags || (top() == Role::device && kind_of(key()) != Kind::unknown))
      ++info.skipped_fields;
  }

  std::string* text_field(std::string_view k) {
    return k == "ipAddress"         ? &device.ip_address
           : k == "macAddress"      ? &device.mac_address
           : k == "name"            ? &device.name
           : k == "type"            ? &device.type
           : k == "category"        ? &device.category
           : k == "manufacturer"    ? &device.manufacturer
           : k == "model"           ? &device.model
           : k == "operatingSystem" ? &device.operating_system
           : k == "boundaries"      ? &device.boundaries
           : k == "firstSeen"       ? &device.first_seen
           : k == "lastSeen"        ? &device.last_seen
                                    : nullptr;
  }

  void on_text(std::string_view s) {
    if (top() == Role::tags) {
      device.tags.emplace_back(s);
      return;
    }
    if (top() != Role::device) return;
    if (auto* field = text_field(key())) field->assign(s);
    else mismatch();
  }

  void on_integer(std::int64_t v) {
    if (top() == Role::data) {
      const auto& k = key();
      if (k == "count") info.count = v;
      else if (k == "next") info.next = v;
      else if (k == "prev") info.prev = v;
      else if (k == "total") info.total = v;
      return;
    }
    if (top() != Role::device) return mismatch();
    if (key() == "id") device.id = v;
    else if (key() == "riskLevel") device.risk_level = v;
    else mismatch();
  }

  void on_boolean(bool b) {
    if (top() == Role::root && key() == "success") info.success = b;
    else mismatch();
  }

  // --- the rest of basic_parser's handler interface ---
  bool on_object_begin(error_code&) {
    const Role role = child_role(true);
    if (role == Role::other) mismatch();
    if (role == Role::device) clear(device);
    push(role);
    return true;
  }
  bool on_array_begin(error_code&) {
    const Role role = child_role(false);
    if (role == Role::other) mismatch();
    push(role);
    return true;
  }
};

}  // namespace sr::sync::armis::page_json

template <>
struct sr::sync::PageHandlerFor<sr::sync::armis::ArmisDevice> : std::type_identity<sr::sync::armis::page_json::Handler> {};
template class sr::sync::PageParser<sr::sync::armis::ArmisDevice, sr::sync::armis::ArmisPageInfo>;
