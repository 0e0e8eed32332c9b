#include "sync/adapters/faker/faker_source.hpp"

#include "base/text/scalars.hpp"
#include "sync/adapters/body_writer.hpp"
#include "sync/adapters/registry.hpp"

#include <boost/asio/this_coro.hpp>
#include <fmt/format.h>

#include <algorithm>

namespace sr::sync::faker {

namespace {

template <class T>
bool read_setting(const SourceConfig& s, const char* key, T& out, std::string& err) {
  auto text = s.setting(key);
  if (!text) return true;
  if constexpr (std::is_same_v<T, double>) {
    try {
      std::size_t used = 0;
      out = std::stod(*text, &used);
      if (used == text->size() && out >= 0 && out <= 1) return true;
    } catch (const std::exception&) {
    }
    err = fmt::format("{} must be a number from 0 to 1, not \"{}\"", key, *text);
    return false;
  } else {
    auto n = base::parse_int_text(*text);
    if (n && *n >= 0) {
      out = static_cast<T>(*n);
      return true;
    }
    err = fmt::format("{} must be a non-negative integer, not \"{}\"", key, *text);
    return false;
  }
}

}  // namespace

base::Expected<FakerSourceOptions> faker_options(const SourceConfig& source) {
  FakerSourceOptions o;
  std::string err;
  if (!read_setting(source, "total_devices", o.inventory.total_devices, err) ||
      !read_setting(source, "seed", o.inventory.seed, err) ||
      !read_setting(source, "churn", o.inventory.churn, err) ||
      !read_setting(source, "first_slot", o.inventory.first_slot, err) ||
      !read_setting(source, "page_size", o.page_size, err))
    return base::Expected<FakerSourceOptions>::failure(err);
  if (auto slots = check_slots(o.inventory); !slots.empty())
    return base::Expected<FakerSourceOptions>::failure("first_slot and total_devices: " + slots);
  if (source.batch_size > 0 && !source.setting("page_size")) o.page_size = static_cast<std::size_t>(source.batch_size);
  o.page_size = std::clamp<std::size_t>(o.page_size, 1, page_size_limits("faker").max_size);
  return o;
}

FakerSource::FakerSource(const SourceConfig& source, FakerSourceOptions options)
    : name_(source.name), options_(options), inventory_(options.inventory) {}

// Synthetic devices claim no identifier a real integration could send (no
// armis_device_id, no integration_id: the core would merge them into real
// devices with the same number); they are "integration"-sourced and
// identified, like any device without one, by MAC and then IP.
void FakerSource::map(FakeDevice raw, const RunInfo& info, DeviceUpdate& d) {
  stamp_update(d, info, std::move(raw.ip), "integration");
  if (!raw.macs.empty()) d.mac = std::move(raw.macs.front());
  d.hostname = std::move(raw.name);
  d.confidence = 7;
  d.is_available = true;  // listed now; see "Identifiers and availability" in the README
  d.metadata.reserve(11);
  d.meta("integration_type", "faker");
  d.meta("faker_device_id", std::to_string(raw.id));
  d.meta("armis_type", std::move(raw.type));
  d.meta("armis_category", std::move(raw.category));
  d.meta("manufacturer", std::move(raw.manufacturer));
  d.meta("model", std::move(raw.model));
  d.meta("operating_system", std::move(raw.os));
  d.meta("armis_boundaries", std::move(raw.boundaries));
  if (raw.risk_level > 0) d.meta("armis_risk_level", std::to_string(raw.risk_level));
  std::string tags;
  for (const auto& t : raw.tags) tags += (tags.empty() ? "" : ",") + t;
  d.meta("armis_tags", std::move(tags));
}

void FakerSource::encode(const FakeDevice& raw, const RunInfo& info, EncodedBatch& out) {
  auto& text = out.text();
  BodyHead head;
  head.ip = raw.ip;
  if (!raw.macs.empty()) head.mac = raw.macs.front();
  head.hostname = raw.name;
  head.source = "integration";
  const auto ip_at = append_body_head(text, info, head);
  MetadataWriter meta(text);
  meta.add("integration_type", "faker");
  meta.add("faker_device_id", static_cast<std::int64_t>(raw.id));
  meta.add("armis_type", raw.type);
  meta.add("armis_category", raw.category);
  meta.add("manufacturer", raw.manufacturer);
  meta.add("model", raw.model);
  meta.add("operating_system", raw.os);
  meta.add("armis_boundaries", raw.boundaries);
  if (raw.risk_level > 0) meta.add("armis_risk_level", static_cast<std::int64_t>(raw.risk_level));
  std::size_t written = 0;  // map() joins the tags and leaves an empty list out
  for (const auto& t : raw.tags) {
    if (written == 0 && t.empty()) continue;
    if (written++ == 0) meta.key("armis_tags");
    meta.item(t, written == 1);
  }
  meta.finish();
  out.seal(ip_at, raw.ip.size(), std::nullopt);
}

boost::asio::awaitable<RunOutcome> FakerSource::run(const RunInfo& info, DeviceSink& sink) {
  const auto total = inventory_.size();
  sink.expect_total(total);
  for (std::uint64_t from = 0; from < total; from += options_.page_size) {
    const auto n = std::min<std::uint64_t>(options_.page_size, total - from);
    EncodedBatch batch;
    batch.reserve(n, n * 768);  // a faker body is ~650 bytes
    for (std::uint64_t i = 0; i < n; ++i) encode(inventory_.device(from + i, info.run_number, false), info, batch);
    if (!co_await sink.push(std::move(batch))) co_return RunOutcome::failed("push", "stopped");
  }
  co_return RunOutcome{};
}

}  // namespace sr::sync::faker
