#include "sync/adapters/netbox/netbox_source.hpp"

#include "net/https/fetch.hpp"
#include "base/log/logger.hpp"
#include "sync/adapters/netbox/seen_devices.hpp"
#include "sync/device/address_text.hpp"

#include <boost/url/parse.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace sr::sync::netbox {

namespace asio = boost::asio;
namespace https = sr::net::https;

base::Expected<NetboxOptions> netbox_options(const SourceConfig& source) {
  using Result = base::Expected<NetboxOptions>;
  NetboxOptions o;
  auto http = https_source_options(source);
  if (!http) return Result::failure(http.error());
  o.http = std::move(*http);
  const auto token = credential(source, {"api_token", "token"});
  if (token.empty()) return Result::failure("credentials need api_token (or token)");
  // NetBox 4.5+ v2 tokens (nbt_...) are Bearer tokens; classic ones use "Token".
  o.authorization = (token.starts_with("nbt_") ? "Bearer " : "Token ") + token;
  auto cap = device_cap(source, "max_seen_devices", kDefaultMaxSeenDevices);
  if (!cap) return Result::failure(cap.error());
  o.max_seen_devices = *cap;
  return o;
}

// NetBox documents a device's state: only an active one is expected up.
bool available_by_status(std::string_view status) { return status.empty() || status == "active"; }

bool to_update(NetboxDevice&& n, const RunInfo& info, DeviceUpdate& d) {
  auto ip = ip_of_cidr(n.primary_ip4);
  if (!ip) ip = ip_of_cidr(n.primary_ip6);
  if (!ip) return false;
  stamp_update(d, info, std::move(*ip), "netbox");
  d.hostname = std::move(n.name);
  d.confidence = 7;
  d.is_available = available_by_status(n.status);
  d.metadata.reserve(10);
  d.meta("integration_type", "netbox");
  // The core's NetBox identifier; no integration_id (unscoped in the core:
  // it would merge NetBox device 42 into Armis device 42).
  if (n.id) d.meta("netbox_device_id", std::to_string(*n.id));
  d.meta("device_role", std::move(n.role));  // where the core's classification reads a role
  d.meta("site", std::move(n.site));
  d.meta("manufacturer", std::move(n.manufacturer));
  d.meta("model", std::move(n.model));
  d.meta("status", std::move(n.status));
  d.meta("serial", std::move(n.serial));
  // The core merges metadata keys and never drops one: a device retracted
  // once keeps "_deleted":"true" until an update says otherwise.
  d.meta("_deleted", "false");
  return true;
}

DeviceUpdate retraction(std::int64_t id, const std::string& ip, const RunInfo& info) {
  DeviceUpdate d;
  stamp_update(d, info, ip, "netbox");
  d.is_available = false;
  d.meta("integration_type", "netbox");
  d.meta("netbox_device_id", std::to_string(id));
  d.meta("_deleted", "true");
  return d;
}

NetboxSource::NetboxSource(const SourceConfig& source, NetboxOptions options)
    : HttpsSource(source.name, "NetBox", options.http.client, options.retry), options_(std::move(options)) {}

NetboxSource::~NetboxSource() = default;

asio::awaitable<RunOutcome> NetboxSource::devices_page(const boost::urls::url& url, std::uint64_t page,
                                                        std::vector<NetboxDevice>& out, NetboxPageInfo& info) {
  https::Request req;
  req.url = url;
  req.headers = {{"Accept", "application/json"}, {"Authorization", options_.authorization}};
  ParsedPage<NetboxPageParser> parsed(out);
  auto got = co_await fetch_page(req, fmt::format("devices page {}", page), "devices", parsed);
  if (!got.ok()) co_return got;
  info = parsed.info();
  co_return RunOutcome{};
}

std::optional<boost::urls::url> next_page_url(const boost::urls::url& current, std::string_view next) {
  auto ref = boost::urls::parse_uri_reference(next);
  if (!ref) return std::nullopt;
  boost::urls::url resolved;
  if (!boost::urls::resolve(current, *ref, resolved)) return std::nullopt;
  // Behind a TLS-terminating proxy NetBox writes http:// and its own host
  // name: only the path and query are NetBox's to say. The scheme, host and
  // port stay the endpoint's, so the token never goes anywhere else.
  boost::urls::url out = current;
  out.set_encoded_path(resolved.encoded_path());
  if (resolved.has_query()) out.set_encoded_query(resolved.encoded_query());
  else out.remove_query();
  out.remove_fragment();
  return out;
}

// One run: what it sends, what it remembers for the next run's retractions.
struct NetboxSource::PageRun {
  const RunInfo& info;
  DeviceSink& sink;
  std::uint64_t cap;              // max_seen_devices
  std::filesystem::path file{};  // the seen list ("": no state directory)
  SeenList previous{}, current{};
  std::uint64_t untracked = 0;  // devices sent past the cap: not in `current`
  std::uint64_t skipped = 0;

  void remember(std::int64_t id, const std::string& ip) {
    if (current.size() >= cap) {
      ++untracked;
      return;
    }
    if (auto d = SeenDevice::make(id, ip)) current.push_back(*d);
  }
};

asio::awaitable<RunOutcome> NetboxSource::run_source(const RunInfo& info, DeviceSink& sink) {
  PageRun run{info, sink, options_.max_seen_devices};
  if (!info.state_dir.empty()) run.file = seen_file(info.state_dir, name());
  load_previous(run);
  if (auto got = co_await send_pages(run); !got.ok()) co_return got;
  co_return co_await finish_run(run);
}

void NetboxSource::load_previous(PageRun& run) {
  if (run.file.empty()) return;
  auto loaded = load_seen(run.file, run.cap);
  if (loaded) run.previous = std::move(*loaded);
  else sr::log::warn(name(), loaded.error() + "; this run retracts nothing");
}

asio::awaitable<RunOutcome> NetboxSource::send_pages(PageRun& run) {
  auto url = api_url(options_.http.endpoint, "/api/dcim/devices/");
  url.params().append({"limit", std::to_string(options_.http.page_size)});
  std::vector<NetboxDevice> page;
  for (std::uint64_t n = 1;; ++n) {
    NetboxPageInfo pinfo;
    if (auto got = co_await devices_page(url, n, page, pinfo); !got.ok()) co_return got;
    run.skipped += pinfo.skipped_fields;
    if (n == 1 && pinfo.count && *pinfo.count > 0) {
      run.sink.expect_total(static_cast<std::uint64_t>(*pinfo.count));
      run.current.reserve(std::min<std::uint64_t>(static_cast<std::uint64_t>(*pinfo.count), run.cap));
    }
    if (!co_await send_page(run, page)) co_return RunOutcome::failed("push", "stopped");
    if (!pinfo.next || pinfo.next->empty()) co_return RunOutcome{};
    auto resolved = next_page_url(url, *pinfo.next);
    if (!resolved) co_return RunOutcome::failed("devices", fmt::format("devices page {}: \"next\" is not a URL", n));
    if (*resolved == url)
      co_return RunOutcome::failed("devices", fmt::format("devices page {}: \"next\" points at itself", n));
    url = std::move(*resolved);
  }
}

asio::awaitable<bool> NetboxSource::send_page(PageRun& run, std::vector<NetboxDevice>& page) {
  DeviceBatch batch;
  batch.reserve(page.size());
  for (auto& d : page) {
    const auto id = d.id;
    DeviceUpdate u;
    if (!to_update(std::move(d), run.info, u)) {
      ++run.skipped;  // neither primary_ip4 nor primary_ip6
      continue;
    }
    if (id) run.remember(*id, u.ip);
    batch.push_back(std::move(u));
  }
  co_return batch.empty() || co_await run.sink.push(std::move(batch));
}

asio::awaitable<RunOutcome> NetboxSource::finish_run(PageRun& run) {
  if (run.untracked) {
    // Every device was sent; only what vanished cannot be known this run.
    sr::log::warn(name(), fmt::format("{} device(s) past max_seen_devices ({}): every device was sent, but this "
                                      "run retracts nothing and keeps the last complete run's list",
                                      run.untracked, run.cap));
    auto outcome = RunOutcome::completed(run.skipped);
    outcome.over_cap = run.untracked;
    co_return outcome;
  }
  settle(run.current);
  const auto gone = vanished(run.previous, run.current);
  SeenList().swap(run.previous);
  if (!gone.empty())
    sr::log::info(name(), fmt::format("{} device(s) left NetBox since the last complete run: retracted",
                                      gone.size()));
  // Retractions in batches of a page, like the devices.
  DeviceBatch batch;
  for (std::size_t i = 0; i < gone.size(); ++i) {
    batch.push_back(retraction(gone[i].id(), gone[i].ip(), run.info));
    if ((batch.size() >= options_.http.page_size || i + 1 == gone.size()) &&
        !co_await run.sink.push(std::exchange(batch, {})))
      co_return RunOutcome::failed("push", "stopped");
  }
  if (!run.file.empty())
    if (auto err = save_seen(run.file, run.current); !err.empty())
      sr::log::warn(name(), "state: " + err + "; the next run may retract too little");
  co_return RunOutcome::completed(run.skipped);
}

}  // namespace sr::sync::netbox
