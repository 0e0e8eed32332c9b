#include "sync/adapters/netbox/netbox_source.hpp"

#include "net/https/fetch.hpp"
#include "base/log/logger.hpp"
#include "sync/adapters/https/encoded_page.hpp"
#include "sync/adapters/https/page_window.hpp"
#include "sync/adapters/netbox/netbox_encode.hpp"
#include "sync/adapters/netbox/seen_devices.hpp"
#include "base/text/scalars.hpp"
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
    : HttpsSource(source.name, "NetBox", options.http, options.retry), options_(std::move(options)) {}

NetboxSource::~NetboxSource() = default;

// One devices page as it arrives, written straight into chunk bodies.
class DevicesPage final : public PageReading {
  struct Encode {
    const RunInfo* info;
    bool operator()(const NetboxDevice& d, EncodedBatch& out) const { return encode_device(d, *info, out); }
  };

 public:
  explicit DevicesPage(const RunInfo& info) : page_(Encode{&info}) {}
  void restart() override { page_.restart(); }
  std::string feed(std::string_view piece) override { return page_.feed(piece); }
  std::string finish() override { return page_.finish(); }
  const NetboxPageInfo& info() const { return page_.info(); }
  EncodedBatch& batch() { return page_.batch(); }
  std::uint64_t skipped() const { return page_.skipped(); }  // neither primary_ip4 nor primary_ip6

 private:
  EncodedPage<NetboxPageParser, Encode> page_;
};

asio::awaitable<RunOutcome> NetboxSource::devices_page(const boost::urls::url& url, std::uint64_t number,
                                                        DevicesPage& page) {
  https::Request req;
  req.url = url;
  req.headers = {{"Accept", "application/json"}, {"Authorization", options_.authorization}};
  co_return co_await fetch_page(req, fmt::format("devices page {}", number), "devices", page);
}

std::optional<std::uint64_t> page_offset(const boost::urls::url& url) {
  const auto params = boost::urls::url_view(url).params();
  auto it = params.find("offset");
  if (it == params.end() || !(*it).has_value) return std::nullopt;
  auto n = base::parse_int_text((*it).value);
  if (!n || *n < 0) return std::nullopt;
  return static_cast<std::uint64_t>(*n);
}

boost::urls::url with_offset(const boost::urls::url& url, std::uint64_t offset) {
  boost::urls::url out = url;
  out.params().set("offset", std::to_string(offset));
  return out;
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
  std::uint64_t pages = 0;       // delivered
  std::optional<boost::urls::url> next{};  // the last delivered page's next (none: it was the last)

  void remember(std::int64_t id, std::string_view ip) {
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
  DevicesPage first(run.info);
  if (auto got = co_await devices_page(url, 1, first); !got.ok()) co_return got;
  const auto count = first.info().count;
  auto step = co_await deliver_page(run, url, 1, first);
  if (!step.outcome.ok() || !run.next) co_return step.outcome;
  if (*run.next == url) co_return RunOutcome::failed("devices", "devices page 1: \"next\" points at itself");
  // The others are known from page 1: its next's offset is NetBox's stride
  // (what it makes of `limit`), `count` where they end.
  bool finished = false;
  const auto stride = step.next;
  if (concurrency().max() > 1 && count && stride && *stride > 0 && static_cast<std::uint64_t>(*count) > *stride)
    if (auto got = co_await window_pages(run, *stride, static_cast<std::uint64_t>(*count), finished); !got.ok())
      co_return got;
  if (finished) co_return RunOutcome{};
  co_return co_await pages_in_turn(run);
}

asio::awaitable<RunOutcome> NetboxSource::window_pages(PageRun& run, std::uint64_t stride, std::uint64_t count,
                                                       bool& finished) {
  const boost::urls::url pattern = *run.next;  // page 2's URL: NetBox's own parameters, offset varied
  PageWindow window(
      concurrency(), [&run] { return std::make_unique<DevicesPage>(run.info); },
      [this, &pattern](WindowPage& p) -> asio::awaitable<RunOutcome> {
        co_return co_await devices_page(with_offset(pattern, p.offset), p.number, static_cast<DevicesPage&>(*p.reading));
      },
      [this, &run, &pattern](WindowPage& p) -> asio::awaitable<PageStep> {
        co_return co_await deliver_page(run, with_offset(pattern, p.offset), p.number,
                                        static_cast<DevicesPage&>(*p.reading));
      });
  auto end = co_await window.run(PagePlan{stride, count, stride, 2});
  note_peak(window.peak_in_flight());
  if (!end.outcome.ok()) co_return end.outcome;
  finished = !run.next;
  if (!finished)
    sr::log::info(name(), fmt::format("devices page {}: next is not where the pages planned from count {} would "
                                      "go on (the inventory changed during the run): paging on by next",
                                      run.pages, count));
  co_return RunOutcome{};
}

asio::awaitable<RunOutcome> NetboxSource::pages_in_turn(PageRun& run) {
  DevicesPage page(run.info);
  while (run.next) {
    const auto url = *run.next;
    const auto number = run.pages + 1;
    if (auto got = co_await devices_page(url, number, page); !got.ok()) co_return got;
    auto step = co_await deliver_page(run, url, number, page);
    if (!step.outcome.ok()) co_return step.outcome;
    if (run.next && *run.next == url)
      co_return RunOutcome::failed("devices", fmt::format("devices page {}: \"next\" points at itself", number));
  }
  co_return RunOutcome{};
}

asio::awaitable<PageStep> NetboxSource::deliver_page(PageRun& run, const boost::urls::url& url, std::uint64_t number,
                                                     DevicesPage& page) {
  const auto& info = page.info();
  run.skipped += info.skipped_fields + page.skipped();  // skipped(): neither primary_ip4 nor primary_ip6
  if (run.pages++ == 0 && info.count && *info.count > 0) {
    run.sink.expect_total(static_cast<std::uint64_t>(*info.count));
    run.current.reserve(std::min<std::uint64_t>(static_cast<std::uint64_t>(*info.count), run.cap));
  }
  auto& batch = page.batch();
  for (std::size_t i = 0; i < batch.size(); ++i)
    if (auto id = batch.record_id(i)) run.remember(*id, batch.ip(i));
  if (!co_await run.sink.push(std::move(batch))) co_return PageStep{RunOutcome::failed("push", "stopped"), std::nullopt};
  run.next.reset();
  if (!info.next || info.next->empty()) co_return PageStep{};
  run.next = next_page_url(url, *info.next);
  if (!run.next)
    co_return PageStep{RunOutcome::failed("devices", fmt::format("devices page {}: \"next\" is not a URL", number)),
                       std::nullopt};
  // No offset that reads: off any plan (the caller follows next itself).
  co_return PageStep{RunOutcome{}, page_offset(*run.next).value_or(UINT64_MAX)};
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
