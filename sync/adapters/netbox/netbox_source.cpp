#include "sync/adapters/netbox/netbox_source.hpp"

#include "net/https/fetch.hpp"
#include "net/log/logger.hpp"
#include "sync/adapters/netbox/seen_devices.hpp"
#include "sync/device/address_text.hpp"

#include <boost/asio/this_coro.hpp>
#include <boost/url/parse.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace sr::sync::netbox {

namespace asio = boost::asio;
namespace https = sr::net::https;

net::Expected<NetboxOptions> netbox_options(const SourceConfig& source) {
  using Result = net::Expected<NetboxOptions>;
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
    : name_(source.name), options_(std::move(options)), seed_(std::hash<std::string>{}(name_)) {}

NetboxSource::~NetboxSource() = default;

asio::awaitable<RunOutcome> NetboxSource::fetch_page(const boost::urls::url& url,
                                                      std::uint64_t page,
                                                      std::vector<NetboxDevice>& out,
                                                      NetboxPageInfo& info) {
  https::Request req;
  req.url = url;
  req.headers = {{"Accept", "application/json"}, {"Authorization", options_.authorization}};
  const auto where = fmt::format("devices page {}", page);
  std::unique_ptr<NetboxPageParser> parser;
  std::string parse_error;
  const https::SinkForAnswer sink_for = [&](const https::ResponseHead&) -> https::BodySink {
    out.clear();
    parse_error.clear();
    parser = std::make_unique<NetboxPageParser>([&](NetboxDevice& d) {
      out.push_back(std::move(d));
      return true;
    });
    return [&](std::string_view piece) {
      parse_error = parser->feed(piece);
      return parse_error.empty();
    };
  };
  auto got = co_await https::fetch(*client_, req, options_.retry, ++seed_, sink_for,
                                   retry_log_.about(where));
  const unsigned status = got.last.head.status;
  if (!parse_error.empty()) co_return RunOutcome::failed("devices", where + ": " + parse_error, status);
  if (!got.ok()) co_return RunOutcome::failed("devices", where + ": " + got.error, status);
  if (auto err = parser->finish(); !err.empty())
    co_return RunOutcome::failed("devices", where + ": " + err, status);
  info = parser->info();
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

asio::awaitable<RunOutcome> NetboxSource::run(const RunInfo& info, DeviceSink& sink) {
  retry_log_.reset();
  auto outcome = co_await run_pages(info, sink);
  outcome.retries = retry_log_.tally();
  co_return outcome;
}

asio::awaitable<RunOutcome> NetboxSource::run_pages(const RunInfo& info, DeviceSink& sink) {
  if (!client_) {
    auto c = https::Client::create(co_await asio::this_coro::executor, options_.http.client);
    if (!c) co_return RunOutcome::failed("setup", "tls: " + c.error());
    client_ = std::move(*c);
    if (options_.http.client.tls.insecure_skip_verify)
      sr::log::warn(name_, "insecure_skip_verify is set: the NetBox server's certificate is not checked");
  }
  const auto file = info.state_dir.empty() ? std::filesystem::path() : seen_file(info.state_dir, name_);
  const auto cap = options_.max_seen_devices;
  SeenList previous, current;
  if (!file.empty()) {
    auto loaded = load_seen(file, cap);
    if (loaded) previous = std::move(*loaded);
    else sr::log::warn(name_, loaded.error() + "; this run retracts nothing");
  }
  std::uint64_t untracked = 0;  // devices sent past the cap: not in `current`
  auto remember = [&](std::int64_t id, const std::string& ip) {
    if (current.size() >= cap) {
      ++untracked;
      return;
    }
    if (auto d = SeenDevice::make(id, ip)) current.push_back(*d);
  };

  auto url = api_url(options_.http.endpoint, "/api/dcim/devices/");
  url.params().append({"limit", std::to_string(options_.http.page_size)});
  std::vector<NetboxDevice> page;
  std::uint64_t skipped = 0;
  const auto stopped = RunOutcome::failed("push", "stopped");
  for (std::uint64_t n = 1;; ++n) {
    NetboxPageInfo pinfo;
    if (auto got = co_await fetch_page(url, n, page, pinfo); !got.ok()) co_return got;
    skipped += pinfo.skipped_fields;
    if (n == 1 && pinfo.count && *pinfo.count > 0) {
      sink.expect_total(static_cast<std::uint64_t>(*pinfo.count));
      current.reserve(std::min<std::uint64_t>(static_cast<std::uint64_t>(*pinfo.count), cap));
    }
    DeviceBatch batch;
    batch.reserve(page.size());
    for (auto& d : page) {
      const auto id = d.id;
      DeviceUpdate u;
      if (!to_update(std::move(d), info, u)) {
        ++skipped;  // neither primary_ip4 nor primary_ip6
        continue;
      }
      if (id) remember(*id, u.ip);
      batch.push_back(std::move(u));
    }
    if (!batch.empty() && !co_await sink.push(std::move(batch))) co_return stopped;
    if (!pinfo.next || pinfo.next->empty()) break;
    auto resolved = next_page_url(url, *pinfo.next);
    if (!resolved) co_return RunOutcome::failed("devices", fmt::format("devices page {}: \"next\" is not a URL", n));
    if (*resolved == url)
      co_return RunOutcome::failed("devices", fmt::format("devices page {}: \"next\" points at itself", n));
    url = std::move(*resolved);
  }

  if (untracked) {
    // Every device was sent; only what vanished cannot be known this run.
    sr::log::warn(name_, fmt::format("{} device(s) past max_seen_devices ({}): every device was sent, but this "
                                     "run retracts nothing and keeps the last complete run's list",
                                     untracked, cap));
    auto outcome = RunOutcome::completed(skipped);
    outcome.over_cap = untracked;
    co_return outcome;
  }
  settle(current);
  const auto gone = vanished(previous, current);
  SeenList().swap(previous);
  if (!gone.empty())
    sr::log::info(name_, fmt::format("{} device(s) left NetBox since the last complete run: retracted",
                                     gone.size()));
  // Retractions in batches of a page, like the devices.
  DeviceBatch batch;
  for (std::size_t i = 0; i < gone.size(); ++i) {
    batch.push_back(retraction(gone[i].id(), gone[i].ip(), info));
    if ((batch.size() >= options_.http.page_size || i + 1 == gone.size()) &&
        !co_await sink.push(std::exchange(batch, {})))
      co_return stopped;
  }
  if (!file.empty())
    if (auto err = save_seen(file, current); !err.empty())
      sr::log::warn(name_, "state: " + err + "; the next run may retract too little");
  co_return RunOutcome::completed(skipped);
}

}  // namespace sr::sync::netbox
