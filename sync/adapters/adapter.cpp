#include "sync/adapters/adapter.hpp"

#include "sync/adapters/armis/armis_source.hpp"
#include "sync/adapters/faker/faker_source.hpp"
#include "sync/adapters/netbox/netbox_source.hpp"

#include <fmt/format.h>

namespace sr::sync {

net::Expected<std::unique_ptr<Adapter>> make_adapter(const SourceConfig& source) {
  using Result = net::Expected<std::unique_ptr<Adapter>>;
  if (source.type == "faker") {
    auto options = faker::faker_options(source);
    if (!options) return Result::failure(options.error());
    return std::unique_ptr<Adapter>(std::make_unique<faker::FakerSource>(source, *options));
  }
  if (source.type == "armis") {
    auto options = armis::armis_options(source);
    if (!options) return Result::failure(options.error());
    return std::unique_ptr<Adapter>(std::make_unique<armis::ArmisSource>(source, std::move(*options)));
  }
  if (source.type == "netbox") {
    auto options = netbox::netbox_options(source);
    if (!options) return Result::failure(options.error());
    return std::unique_ptr<Adapter>(std::make_unique<netbox::NetboxSource>(source, std::move(*options)));
  }
  return Result::failure(fmt::format("type \"{}\" has no adapter in this build yet", source.type));
}

}  // namespace sr::sync
