// A page of devices parsed as it arrives (Boost.JSON's basic_parser, no DOM):
// body bytes in any pieces, each device handed on as its object closes. The
// Armis and NetBox parsers are this template with their own Device and Info;
// their handlers (and the definitions, streaming_json.hpp) live in their .cpp.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace sr::sync {

template <class DeviceT, class InfoT>
class PageParser {
 public:
  using Device = DeviceT;
  using Info = InfoT;
  // Called for each device as its object closes; return false to stop.
  using OnDevice = std::function<bool(Device&)>;
  explicit PageParser(OnDevice on_device);
  ~PageParser();
  PageParser(const PageParser&) = delete;
  PageParser& operator=(const PageParser&) = delete;

  // Body bytes in any pieces; "" while fine, else what is wrong and at which byte.
  std::string feed(std::string_view piece);
  // After the last piece: "" when the page was whole, well-formed JSON.
  std::string finish();
  const Info& info() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sr::sync
