#include "sync/adapters/armis/armis_source.hpp"

#include "net/https/fetch.hpp"
#include "base/log/logger.hpp"
#include "base/text/date_time.hpp"
#include "sync/adapters/armis/armis_encode.hpp"
#include "sync/adapters/armis/armis_mapping.hpp"
#include "sync/adapters/armis/armis_page.hpp"
#include "sync/adapters/armis/merge_store.hpp"
#include "sync/adapters/https/encoded_page.hpp"
#include "sync/adapters/https/page_window.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <fmt/format.h>

#include <algorithm>

namespace sr::sync::armis {

namespace asio = boost::asio;
namespace https = sr::net::https;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kTokenBodyLimit = 1 << 20;
constexpr auto kDefaultTokenLife = std::chrono::minutes(45);
constexpr auto kRenewEarly = std::chrono::minutes(5);
// A server that keeps advancing `next` over nothing is not paging any more.
constexpr std::uint64_t kMaxEmptyPagesInARow = 100;

std::string form_encode(std::string_view value) {
  boost::urls::encoding_opts opts;
  opts.space_as_plus = true;
  return boost::urls::encode(value, boost::urls::unreserved_chars, opts);
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> parse_expiration(std::string_view text) {
  return base::parse_rfc3339(text);
}

base::Expected<ArmisOptions> armis_options(const SourceConfig& source) {
  using Result = base::Expected<ArmisOptions>;
  ArmisOptions o;
  auto http = https_source_options(source);
  if (!http) return Result::failure(http.error());
  o.http = std::move(*http);
  o.api_key = credential(source, {"api_key"});
  o.api_secret = credential(source, {"api_secret"});
  o.secret_key = credential(source, {"secret_key"});
  if (!o.api_key.empty() || !o.api_secret.empty()) o.auth = ArmisOptions::Auth::json;
  else if (!o.secret_key.empty()) o.auth = ArmisOptions::Auth::form;
  else return Result::failure("credentials need api_key (and api_secret) or secret_key");
  o.queries = source.queries;
  if (o.queries.empty()) o.queries.push_back({"", "", {}});
  auto cap = device_cap(source, "max_merged_devices", kDefaultMaxMergedDevices);
  if (!cap) return Result::failure(cap.error());
  o.max_merged_devices = *cap;
  return o;
}

struct ArmisSource::QueryRun {
  const QueryConfig& query;
  std::size_t index;  // of the query in options_.queries
  const RunInfo& info;
  DeviceSink& sink;
  bool merging;  // several queries: gather by id, send at the end
  MergeStore& merged;
  std::uint64_t pages = 0, devices = 0, skipped = 0;
  std::uint64_t sent_alone = 0;  // merging, but sent at once: no id, or past the cap
  std::uint64_t over_cap = 0;    // of those, past max_merged_devices
  std::uint64_t empty_pages = 0;  // in a row, while next kept advancing
  std::string label() const { return query.label.empty() ? "(all)" : query.label; }
};

// One search page as it arrives: written straight into chunk bodies (one
// query: nothing to merge), or parsed into devices to merge by id.
class SearchPage final : public PageReading {
 public:
  SearchPage(bool merging, std::string_view label, const RunInfo& info) {
    if (merging) reading_ = &parsed_.emplace(devices_);
    else reading_ = &encoded_.emplace(Encode{label, &info});
  }
  void restart() override { reading_->restart(); }
  std::string feed(std::string_view piece) override { return reading_->feed(piece); }
  std::string finish() override { return reading_->finish(); }
  const ArmisPageInfo& info() const { return parsed_ ? parsed_->info() : encoded_->info(); }
  std::vector<ArmisDevice>& devices() { return devices_; }  // merging
  EncodedBatch& batch() { return encoded_->batch(); }      // not merging
  std::uint64_t without_ip() const { return encoded_ ? encoded_->skipped() : 0; }

 private:
  struct Encode {
    std::string_view label;
    const RunInfo* info;
    bool operator()(const ArmisDevice& d, EncodedBatch& out) const { return encode_device(d, label, *info, out); }
  };

  std::vector<ArmisDevice> devices_;
  std::optional<ParsedPage<ArmisPageParser>> parsed_;
  std::optional<EncodedPage<ArmisPageParser, Encode>> encoded_;
  PageReading* reading_ = nullptr;
};

struct ArmisSource::Renewal {
  explicit Renewal(const asio::any_io_executor& ex) : done(ex, Clock::time_point::max()) {}
  asio::steady_timer done;  // cancelled when the renewal ends
};

ArmisSource::ArmisSource(const SourceConfig& source, ArmisOptions options)
    : HttpsSource(source.name, "Armis", options.http, options.retry), options_(std::move(options)) {}

ArmisSource::~ArmisSource() = default;

https::Request ArmisSource::token_request() const {
  https::Request req;
  req.method = "POST";
  req.url = api_url(options_.http.endpoint, "/api/v1/access_token/");
  req.headers.push_back({"Accept", "application/json"});
  if (options_.auth == ArmisOptions::Auth::json) {
    boost::json::object body;
    if (!options_.api_key.empty()) body["api_key"] = options_.api_key;
    if (!options_.api_secret.empty()) body["api_secret"] = options_.api_secret;
    req.headers.push_back({"Content-Type", "application/json"});
    req.body = boost::json::serialize(body);
  } else {
    req.headers.push_back({"Content-Type", "application/x-www-form-urlencoded"});
    req.body = "secret_key=" + form_encode(options_.secret_key);
  }
  return req;
}

std::optional<ArmisSource::Token> ArmisSource::read_token(std::string_view answer) const {
  boost::system::error_code ec;
  auto doc = boost::json::parse(answer, ec);
  const auto* data = !ec && doc.is_object() ? doc.as_object().if_contains("data") : nullptr;
  const auto* success = !ec && doc.is_object() ? doc.as_object().if_contains("success") : nullptr;
  const auto* token = data && data->is_object() ? data->as_object().if_contains("access_token") : nullptr;
  if (!token || !token->is_string() || token->as_string().empty() ||
      (success && !(success->is_bool() && success->as_bool())))
    return std::nullopt;
  Token t;
  t.header = options_.auth == ArmisOptions::Auth::json
                 ? "Bearer " + std::string(token->as_string())
                 : std::string(token->as_string());
  auto life = std::chrono::duration_cast<Clock::duration>(kDefaultTokenLife);
  if (const auto* exp = data->as_object().if_contains("expiration_utc"); exp && exp->is_string()) {
    if (auto when = parse_expiration(exp->as_string()))
      life = std::chrono::duration_cast<Clock::duration>(*when - std::chrono::system_clock::now() - kRenewEarly);
  }
  t.renew_at = Clock::now() + std::max<Clock::duration>(life, std::chrono::seconds(30));
  return t;
}

asio::awaitable<RunOutcome> ArmisSource::ensure_token(bool force) {
  if (renewing_) {  // another page is renewing it: one renewal serves all
    auto renewal = renewing_;
    co_await renewal->done.async_wait(asio::as_tuple(asio::use_awaitable));
    if (token_) co_return RunOutcome{};
    co_return RunOutcome::failed("auth", "auth: the access token could not be renewed");
  }
  if (!force && token_ && Clock::now() < token_->renew_at) co_return RunOutcome{};
  co_return co_await renew_token();
}

asio::awaitable<RunOutcome> ArmisSource::renew_token() {
  // Whatever ends the renewal (an answer, an error, the run being stopped),
  // the requests waiting for it are woken.
  struct Release {
    ArmisSource& self;
    std::shared_ptr<Renewal> renewal;
    ~Release() {
      self.renewing_.reset();
      renewal->done.cancel();
    }
  };
  // (No co_await inside the initializer: GCC 12 mishandles temporaries there.)
  const auto executor = co_await asio::this_coro::executor;
  Release release{*this, std::make_shared<Renewal>(executor)};
  renewing_ = release.renewal;
  token_.reset();
  std::string answer;
  const https::SinkForAnswer collect = [&](const https::ResponseHead&) -> https::BodySink {
    answer.clear();
    return [&](std::string_view piece) {
      if (answer.size() + piece.size() > kTokenBodyLimit) return false;
      answer.append(piece);
      return true;
    };
  };
  auto got = co_await fetch(token_request(), "auth", collect);
  if (!got.ok()) co_return RunOutcome::failed("auth", "auth: " + got.error, got.last.head.status);
  token_ = read_token(answer);
  if (!token_)
    co_return RunOutcome::failed("auth", "auth: the access_token answer has no token (or success is not true)",
                                 got.last.head.status);
  ++token_generation_;
  co_return RunOutcome{};
}

boost::urls::url ArmisSource::search_url(const std::string& aql, std::uint64_t from) const {
  auto u = api_url(options_.http.endpoint, "/api/v1/search/");
  u.params().append({"from", std::to_string(from)});
  u.params().append({"length", std::to_string(options_.http.page_size)});
  if (!aql.empty()) u.params().append({"aql", aql});
  return u;
}

asio::awaitable<RunOutcome> ArmisSource::search_page(QueryRun& q, std::uint64_t from, std::uint64_t number,
                                                     SearchPage& page) {
  const auto where = fmt::format("search page {} of query {}", number, q.label());
  const auto generation = token_generation_;
  auto got = co_await try_page(q, from, where, page);
  if (got.ok() || got.http_status != 401) co_return got;
  // The token expired early or was revoked: renewed once (unless another
  // page already renewed it since this one was sent) and the page retried.
  if (generation == token_generation_) {
    sr::log::info(name(), where + ": HTTP 401, renewing the access token once");
    if (auto auth = co_await ensure_token(true); !auth.ok()) co_return auth;
  }
  co_return co_await try_page(q, from, where, page);
}

asio::awaitable<RunOutcome> ArmisSource::try_page(QueryRun& q, std::uint64_t from, const std::string& where,
                                                  SearchPage& page) {
  if (auto auth = co_await ensure_token(false); !auth.ok()) co_return auth;
  https::Request req;
  req.url = search_url(q.query.query, from);
  req.headers = {{"Accept", "application/json"}, {"Authorization", token_->header}};
  const auto got = co_await fetch_page(req, where, "search", page);
  if (!got.ok()) co_return got;
  const auto& info = page.info();
  if (info.success && !*info.success)
    co_return RunOutcome::failed("search", where + ": Armis answered success=false", got.http_status);
  if (info.skipped_fields)
    sr::log::debug(name(), fmt::format("{}: {} malformed optional fields skipped", where, info.skipped_fields));
  co_return got;
}

asio::awaitable<PageStep> ArmisSource::deliver_page(QueryRun& q, std::uint64_t from, SearchPage& page) {
  const auto& info = page.info();
  q.skipped += info.skipped_fields + page.without_ip();
  if (q.pages++ == 0 && info.total && *info.total > 0 && !q.merging)
    q.sink.expect_total(static_cast<std::uint64_t>(*info.total));
  q.devices += info.devices;
  const bool pushed = q.merging ? co_await merge_page(q, page.devices())
                                : co_await q.sink.push(std::move(page.batch()));
  if (!pushed) co_return PageStep{RunOutcome::failed("push", "stopped"), std::nullopt};
  // Page while next > from (the loop guard: a server repeating itself ends
  // the query). An empty page is not the end: Armis can answer one (devices
  // filtered out server-side) with next still advancing.
  if (!info.next || *info.next <= 0 || static_cast<std::uint64_t>(*info.next) <= from)
    co_return PageStep{RunOutcome{}, std::nullopt};
  q.empty_pages = info.devices == 0 ? q.empty_pages + 1 : 0;
  if (q.empty_pages == kMaxEmptyPagesInARow)
    co_return PageStep{RunOutcome::failed("search", fmt::format("query {}: {} empty pages in a row while next kept "
                                                                "advancing (from {}): giving up",
                                                                q.label(), q.empty_pages, from)),
                       std::nullopt};
  co_return PageStep{RunOutcome{}, static_cast<std::uint64_t>(*info.next)};
}

asio::awaitable<RunOutcome> ArmisSource::run_query(QueryRun& q) {
  SearchPage first(q.merging, q.query.label, q.info);
  if (auto got = co_await search_page(q, 0, 1, first); !got.ok()) co_return got;
  const auto total = first.info().total;
  auto step = co_await deliver_page(q, 0, first);
  if (!step.outcome.ok()) co_return step.outcome;
  bool finished = !step.next;
  std::uint64_t from = step.next.value_or(0);
  // The rest of the pages are known from page 1: its `next` is Armis' stride
  // (what it makes of `length`), `total` where they end.
  if (!finished && concurrency().max() > 1 && total && *total > 0 && static_cast<std::uint64_t>(*total) > from)
    if (auto got = co_await window_pages(q, from, from, static_cast<std::uint64_t>(*total), finished); !got.ok())
      co_return got;
  if (!finished)
    if (auto got = co_await pages_in_turn(q, from); !got.ok()) co_return got;
  sr::log::debug(name(), fmt::format("query {}: {} devices in {} pages", q.label(), q.devices, q.pages));
  co_return RunOutcome{};
}

asio::awaitable<RunOutcome> ArmisSource::window_pages(QueryRun& q, std::uint64_t& from, std::uint64_t stride,
                                                      std::uint64_t total, bool& finished) {
  PageWindow window(
      concurrency(), [&q] { return std::make_unique<SearchPage>(q.merging, q.query.label, q.info); },
      [this, &q](WindowPage& p) -> asio::awaitable<RunOutcome> {
        co_return co_await search_page(q, p.offset, p.number, static_cast<SearchPage&>(*p.reading));
      },
      [this, &q](WindowPage& p) -> asio::awaitable<PageStep> {
        co_return co_await deliver_page(q, p.offset, static_cast<SearchPage&>(*p.reading));
      });
  auto end = co_await window.run(PagePlan{from, total, stride, 2});
  note_peak(window.peak_in_flight());
  if (!end.outcome.ok()) co_return end.outcome;
  finished = !end.resume_from;
  if (end.resume_from) {
    sr::log::info(name(), fmt::format("query {}: a page's next ({}) is not where the pages planned from total "
                                      "{} would go on (the inventory changed during the run): paging on one "
                                      "page at a time",
                                      q.label(), *end.resume_from, total));
    from = *end.resume_from;
  }
  co_return RunOutcome{};
}

asio::awaitable<RunOutcome> ArmisSource::pages_in_turn(QueryRun& q, std::uint64_t from) {
  SearchPage page(q.merging, q.query.label, q.info);
  for (;;) {
    if (auto got = co_await search_page(q, from, q.pages + 1, page); !got.ok()) co_return got;
    auto step = co_await deliver_page(q, from, page);
    if (!step.outcome.ok() || !step.next) co_return step.outcome;
    from = *step.next;
  }
}

asio::awaitable<bool> ArmisSource::merge_page(QueryRun& q, std::vector<ArmisDevice>& page) {
  DeviceBatch alone;  // without an id (nothing to merge by), or past the cap: sent now
  for (auto& d : page) {
    if (d.id && q.merged.add(d, q.index)) continue;
    if (d.id) ++q.over_cap;
    ++q.sent_alone;
    DeviceUpdate u;
    if (to_update(gather(std::move(d), q.query.label), q.info, u)) alone.push_back(std::move(u));
    else ++q.skipped;  // no usable IP
  }
  co_return alone.empty() || co_await q.sink.push(std::move(alone));
}

asio::awaitable<RunOutcome> ArmisSource::run_source(const RunInfo& info, DeviceSink& sink) {
  const bool merging = options_.queries.size() > 1;
  std::vector<std::string> labels;
  for (const auto& query : options_.queries) labels.push_back(query.label);
  MergeStore merged(std::move(labels), options_.max_merged_devices);
  std::uint64_t skipped = 0, sent_alone = 0, over_cap = 0;
  for (std::size_t i = 0; i < options_.queries.size(); ++i) {
    QueryRun q{options_.queries[i], i, info, sink, merging, merged};
    auto got = co_await run_query(q);
    if (!got.ok()) co_return got;
    skipped += q.skipped;
    sent_alone += q.sent_alone;
    over_cap += q.over_cap;
  }
  if (!merging) co_return RunOutcome::completed(skipped);
  sink.expect_total(merged.size() + sent_alone);
  if (over_cap)
    sr::log::warn(name(), fmt::format("{} device(s) past max_merged_devices ({}) were sent unmerged, once per "
                                     "query listing them (the core merges duplicates by device id)",
                                     over_cap, options_.max_merged_devices));
  DeviceBatch batch;
  auto flush = [&]() -> asio::awaitable<bool> {
    if (batch.empty()) co_return true;
    co_return co_await sink.push(std::exchange(batch, {}));
  };
  auto add = [&](GatheredDevice&& g) -> asio::awaitable<bool> {
    DeviceUpdate u;
    if (to_update(std::move(g), info, u)) batch.push_back(std::move(u));
    else ++skipped;
    if (batch.size() >= options_.http.page_size) co_return co_await flush();
    co_return true;
  };
  const auto stopped = RunOutcome::failed("push", "stopped");
  while (auto g = merged.next())
    if (!co_await add(std::move(*g))) co_return stopped;
  if (!co_await flush()) co_return stopped;
  auto outcome = RunOutcome::completed(skipped);
  outcome.over_cap = over_cap;
  co_return outcome;
}

}  // namespace sr::sync::armis
