// The `netbox` source type: /api/dcim/devices/ with `limit`, following `next`
// (its path and query only, on the endpoint's own scheme, host and port),
// Token or Bearer (nbt_) auth,
// pages parsed as they arrive; after a complete run, one retraction update
// for each device the previous complete run sent and this one did not.
#pragma once

#include "net/https/retry_policy.hpp"
#include "sync/adapters/https/https_source.hpp"
#include "sync/adapters/netbox/netbox_page.hpp"

#include <optional>
#include <string_view>

namespace sr::sync {
struct PageStep;  // page_window.hpp
}  // namespace sr::sync

namespace sr::sync::netbox {

// Devices whose id and IP a run keeps for retractions (25 bytes each, held
// twice: the last complete run's list and this run's). Past it a run still
// sends every device but retracts nothing and keeps the old list.
constexpr std::uint64_t kDefaultMaxSeenDevices = 2'000'000;

struct NetboxOptions {
  HttpsSourceOptions http;    // endpoint, page size (default 100), TLS, proxy
  std::string authorization;  // "Token <t>" or "Bearer nbt_..."; never logged
  net::https::RetryPolicy retry;
  std::uint64_t max_seen_devices = kDefaultMaxSeenDevices;  // setting max_seen_devices
};

base::Expected<NetboxOptions> netbox_options(const SourceConfig& source);

// NetBox documents a device's state: only an active one (or one without a
// status) is expected up.
bool available_by_status(std::string_view status);
// False when the device has neither primary_ip4 nor primary_ip6.
bool to_update(NetboxDevice&& device, const RunInfo& info, DeviceUpdate& out);
// The update that tells the platform a device left NetBox.
DeviceUpdate retraction(std::int64_t id, const std::string& ip, const RunInfo& info);
// The page `next` names (absolute or relative to `current`), with the
// scheme, host and port of `current`; none when `next` is not a URL.
std::optional<boost::urls::url> next_page_url(const boost::urls::url& current, std::string_view next);

// The `offset` a page URL asks for; none when it has none that reads.
std::optional<std::uint64_t> page_offset(const boost::urls::url& url);
// `url` asking for the page at `offset` (its other parameters kept).
boost::urls::url with_offset(const boost::urls::url& url, std::uint64_t offset);

class DevicesPage;

class NetboxSource final : public HttpsSource {
 public:
  NetboxSource(const SourceConfig& source, NetboxOptions options);
  ~NetboxSource() override;

 private:
  struct PageRun;

  boost::asio::awaitable<RunOutcome> run_source(const RunInfo& info, DeviceSink& sink) override;
  // The last complete run's devices, for retractions (none without a state directory).
  void load_previous(PageRun& run);
  // Page 1 alone (its count and next say where the others are), the rest
  // several at a time (page_window), then by `next` if the plan did not hold.
  boost::asio::awaitable<RunOutcome> send_pages(PageRun& run);
  boost::asio::awaitable<RunOutcome> window_pages(PageRun& run, std::uint64_t stride, std::uint64_t count,
                                                  bool& finished);
  boost::asio::awaitable<RunOutcome> pages_in_turn(PageRun& run);
  // A fetched page into the pipeline; where the next one starts (offset).
  boost::asio::awaitable<PageStep> deliver_page(PageRun& run, const boost::urls::url& url,
                                                       std::uint64_t number, DevicesPage& page);
  boost::asio::awaitable<RunOutcome> devices_page(const boost::urls::url& url, std::uint64_t number,
                                                  DevicesPage& page);
  // After every page: retractions for what vanished, and this run's list kept.
  boost::asio::awaitable<RunOutcome> finish_run(PageRun& run);

  NetboxOptions options_;
};

}  // namespace sr::sync::netbox
