#include "sync/adapters/armis/armis_page.hpp"

#include "sync/adapters/streaming_json.hpp"

namespace sr::sync::armis {

namespace json = boost::json;
using boost::system::error_code;

namespace {

// Where the parser is: which container it is inside and what that container is.
enum class Role { root, data, results, device, tags, other };

struct Frame {
  Role role;
  std::string key;  // the key whose value comes next (objects)
};

struct Handler {
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = 4096;
  static constexpr std::size_t max_string_size = std::size_t(64) << 20;

  ArmisPageParser::OnDevice on_device;
  ArmisPageInfo info;
  std::vector<Frame> stack;
  ArmisDevice device;
  std::string part;  // string or key parts so far
  bool stopped = false;

  Role top() const { return stack.empty() ? Role::other : stack.back().role; }
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

  // --- basic_parser's handler interface ---
  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_object_begin(error_code&) {
    const Role role = child_role(true);
    if (role == Role::other) mismatch();
    if (role == Role::device) device = ArmisDevice{};
    stack.push_back({role, {}});
    return true;
  }
  bool on_object_end(std::size_t, error_code& ec) {
    const Role role = top();
    stack.pop_back();
    if (role == Role::device) {
      ++info.devices;
      if (!on_device(device)) {
        stopped = true;
        ec = json::error::extra_data;  // any error: the parser stops here
        return false;
      }
    }
    return true;
  }
  bool on_array_begin(error_code&) {
    const Role role = child_role(false);
    if (role == Role::other) mismatch();
    stack.push_back({role, {}});
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
  bool on_bool(bool b, error_code&) {
    if (top() == Role::root && key() == "success") info.success = b;
    else mismatch();
    return true;
  }
  bool on_null(error_code&) { return true; }  // an absent value: nothing to skip
  bool on_comment_part(json::string_view, error_code&) { return true; }
  bool on_comment(json::string_view, error_code&) { return true; }
};

}  // namespace

struct ArmisPageParser::Impl {
  StreamingJson<Handler> json;
};

ArmisPageParser::ArmisPageParser(OnDevice on_device) : impl_(std::make_unique<Impl>()) {
  impl_->json.handler().on_device = std::move(on_device);
}
ArmisPageParser::~ArmisPageParser() = default;

std::string ArmisPageParser::feed(std::string_view piece) { return impl_->json.feed(piece); }
std::string ArmisPageParser::finish() { return impl_->json.finish(); }
const ArmisPageInfo& ArmisPageParser::info() const { return impl_->json.handler().info; }

}  // namespace sr::sync::armis
