#include "sync/adapters/armis/merge_store.hpp"

#include <algorithm>
#include <utility>

namespace sr::sync::armis {

namespace {

void put_number(std::string& out, std::uint64_t n) {
  while (n >= 0x80) {
    out += static_cast<char>((n & 0x7F) | 0x80);
    n >>= 7;
  }
  out += static_cast<char>(n);
}

void put_text(std::string& out, std::string_view s) {
  put_number(out, s.size());
  out += s;
}

// Reads what put_number and put_text wrote; the bytes are our own, so a
// short read only happens on a bug: it yields zeros and empty strings.
struct Reader {
  std::string_view in;
  std::uint64_t number() {
    std::uint64_t n = 0;
    for (int shift = 0; !in.empty() && shift < 64; shift += 7) {
      const auto b = static_cast<unsigned char>(in.front());
      in.remove_prefix(1);
      n |= static_cast<std::uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) break;
    }
    return n;
  }
  std::string text() {
    const auto n = std::min<std::uint64_t>(number(), in.size());
    std::string s(in.substr(0, n));
    in.remove_prefix(n);
    return s;
  }
};

// The scalar fields to_update reads, in one order for both directions.
template <class Device, class F>
void each_field(Device& r, F f) {
  for (auto* field : {&r.name, &r.type, &r.category, &r.manufacturer, &r.model, &r.operating_system,
                      &r.boundaries})
    f(*field);
}

std::size_t label_index(const std::vector<std::string>& labels, const std::string& label) {
  return static_cast<std::size_t>(std::find(labels.begin(), labels.end(), label) - labels.begin());
}

}  // namespace

std::string encode(const GatheredDevice& g, const std::vector<std::string>& labels) {
  std::string out;
  each_field(g.raw, [&](const std::string& s) { put_text(out, s); });
  put_text(out, g.mac);
  // Zigzag: a negative risk level (never seen, but an int) stays short.
  const auto risk = static_cast<std::uint64_t>(g.raw.risk_level);
  put_number(out, (risk << 1) ^ static_cast<std::uint64_t>(g.raw.risk_level >> 63));
  for (const auto* list : {&g.ips, &g.tags}) {
    put_number(out, list->size());
    for (const auto& s : *list) put_text(out, s);
  }
  put_number(out, g.labels.size());
  for (const auto& l : g.labels) put_number(out, label_index(labels, l));
  out.shrink_to_fit();
  return out;
}

GatheredDevice decode(std::string_view bytes, std::int64_t id, const std::vector<std::string>& labels) {
  GatheredDevice g;
  Reader r{bytes};
  g.raw.id = id;
  each_field(g.raw, [&](std::string& s) { s = r.text(); });
  g.mac = r.text();
  const auto risk = r.number();
  g.raw.risk_level = static_cast<std::int64_t>(risk >> 1) ^ -static_cast<std::int64_t>(risk & 1);
  for (auto* list : {&g.ips, &g.tags}) {
    list->resize(std::min<std::uint64_t>(r.number(), r.in.size()));
    for (auto& s : *list) s = r.text();
  }
  g.labels.resize(std::min<std::uint64_t>(r.number(), r.in.size()));
  for (auto& l : g.labels) {
    const auto i = r.number();
    l = i < labels.size() ? labels[i] : std::string();
  }
  return g;
}

MergeStore::MergeStore(std::vector<std::string> labels, std::uint64_t max_devices)
    : labels_(std::move(labels)), max_devices_(max_devices) {}

bool MergeStore::add(ArmisDevice& device, std::size_t query) {
  const auto id = *device.id;
  const auto& label = labels_.at(query);
  if (auto it = devices_.find(id); it != devices_.end()) {
    auto g = decode(it->second, id, labels_);
    merge(g, std::move(device), label);
    it->second = encode(g, labels_);
    return true;
  }
  if (devices_.size() >= max_devices_) return false;
  devices_.emplace(id, encode(gather(std::move(device), label), labels_));
  return true;
}

std::size_t MergeStore::heap_bytes() const {
  std::size_t bytes = devices_.bucket_count() * (sizeof(std::pair<std::int64_t, std::string>) + 1);
  for (const auto& [id, s] : devices_)
    if (s.capacity() > 15) bytes += s.capacity() + 1;  // beyond the small-string buffer
  return bytes;
}

std::optional<GatheredDevice> MergeStore::next() {
  if (!drain_started_) {
    draining_ = devices_.begin();
    drain_started_ = true;
  }
  if (draining_ == devices_.end()) {
    devices_ = {};  // the slots too
    draining_ = devices_.end();
    return std::nullopt;
  }
  const auto current = draining_++;
  auto g = decode(current->second, current->first, labels_);
  devices_.erase(current);  // flat map: other iterators stay valid
  return g;
}

}  // namespace sr::sync::armis
