#include "sync/adapters/registry.hpp"

#include "sync/adapters/armis/armis_source.hpp"
#include "sync/adapters/faker/faker_source.hpp"
#include "sync/adapters/netbox/netbox_source.hpp"

#include <fmt/format.h>

namespace sr::sync {

namespace {

// Options read from the source (errors name the key), then the adapter.
template <class Source, auto read_options>
base::Expected<std::unique_ptr<Adapter>> make(const SourceConfig& source) {
  auto options = read_options(source);
  if (!options) return base::Expected<std::unique_ptr<Adapter>>::failure(options.error());
  return std::unique_ptr<Adapter>(std::make_unique<Source>(source, std::move(*options)));
}

constexpr AdapterType kTypes[] = {
    {"armis", {100, 100'000}, &make<armis::ArmisSource, &armis::armis_options>},
    // NetBox caps at its MAX_PAGE_SIZE (1000) by default
    {"netbox", {100, 10'000}, &make<netbox::NetboxSource, &netbox::netbox_options>},
    {"faker", {1000, 100'000}, &make<faker::FakerSource, &faker::faker_options>},
};

}  // namespace

const contract::SourceKeys& AdapterType::keys() const {
  static const contract::SourceKeys none{};
  const auto* keys = contract::find_source_type(type);
  return keys ? *keys : none;
}

std::span<const AdapterType> adapter_types() { return kTypes; }

const AdapterType* find_adapter_type(std::string_view type) {
  for (const auto& t : kTypes)
    if (t.type == type) return &t;
  return nullptr;
}

std::string adapter_type_list() {
  std::string out;
  for (const auto& t : kTypes) out += fmt::format("{}{}", out.empty() ? "" : ", ", t.type);
  return out;
}

PageSizeLimits page_size_limits(std::string_view type) {
  const auto* t = find_adapter_type(type);
  return t ? t->page_size : kTypes[0].page_size;
}

base::Expected<std::unique_ptr<Adapter>> make_adapter(const SourceConfig& source) {
  if (const auto* t = find_adapter_type(source.type)) return t->make(source);
  return base::Expected<std::unique_ptr<Adapter>>::failure(
      fmt::format("type \"{}\" has no adapter in this build yet", source.type));
}

}  // namespace sr::sync
