// The Armis adapter against the fake Armis API over real HTTPS (scripted
// server, test PKI): whole inventories arrive exactly, tokens renew, 429s
// and server faults are retried, broken pages fail the run with a reason,
// and one failing source never hurts another running beside it.
#include "sync/adapters/armis/armis_source.hpp"
#include "contract/faker_inventory.hpp"
#include "tests/sync/adapter_harness.hpp"
#include "tools/fake-inventory/apis/armis_api.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/post.hpp>
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <map>
#include <set>

namespace asio = boost::asio;
using namespace sr::sync;
using sr::fake::ArmisApi;
using sr::fake::ArmisApiOptions;
using sr::test::get_bounded;

namespace {

const char* kKey = "armis-KEY-do-not-log";
const char* kSecret = "armis-SECRET-do-not-log";

using FakeArmis = sr::test::FakeApi<ArmisApi>;
using Outcome = sr::test::RunResult;
using Collected = sr::test::CollectingSink;

std::filesystem::path pki() { return sr::test::test_pki(); }

ArmisApiOptions api_options(std::uint64_t devices) {
  ArmisApiOptions o;
  o.inventory = {devices, 7, 0.05};
  o.api_key = kKey;
  o.api_secret = kSecret;
  return o;
}

template <class Fake>
SourceConfig source_for(const Fake& fake, std::size_t page_size = 1000) {
  SourceConfig s;
  s.name = "armis-test";
  s.type = "armis";
  s.endpoint = fake.endpoint();
  s.credentials = {{"api_key", kKey}, {"api_secret", kSecret}};
  s.options = {{"page_size", std::to_string(page_size)}};
  s.ca_file = (pki() / "ca" / "root.pem").string();
  return s;
}

Outcome run_source(const SourceConfig& source) { return sr::test::run_source_once(source); }

// The inventory's IPs in epoch 0: what a complete run must deliver.
std::set<std::string> inventory_ips(std::uint64_t n) {
  sr::contract::faker::Inventory inv({n, 7, 0.05});
  std::set<std::string> ips;
  for (std::uint64_t i = 0; i < n; ++i) ips.insert(inv.ip_of(i, 0));
  return ips;
}

void check_complete(const Outcome& out, std::uint64_t n) {
  REQUIRE(out.error.empty());
  std::set<std::string> got;
  for (const auto& d : out.devices) got.insert(d.ip);
  CHECK(out.devices.size() == n);  // no duplicates...
  CHECK(got == inventory_ips(n));  // ...and exactly the inventory
}

bool mentions_credentials(const std::string& text) {
  return text.find(kKey) != std::string::npos || text.find(kSecret) != std::string::npos;
}

}  // namespace

TEST_CASE("max_concurrency 1: 100k devices arrive exactly, page by page over one kept-alive connection",
          "[sync][armis][https]") {
  FakeArmis fake(api_options(100'000));
  auto s = source_for(fake, 1000);
  s.options["max_concurrency"] = "1";
  auto out = run_source(s);
  check_complete(out, 100'000);
  CHECK(out.expected == 100'000);
  CHECK(out.skipped == 0);  // every fake device has an IP and well-typed fields
  CHECK(fake.api.token_requests() == 1);
  CHECK(fake.api.searches() == 100);
  CHECK(fake.server.connections_accepted() == 1);
  const auto& d = out.devices.front();
  CHECK(d.source == "armis");
  CHECK(d.mac.size() == 17);
}

TEST_CASE("an expiring token is renewed mid-run and the page retried once", "[sync][armis][https]") {
  auto o = api_options(20'000);
  SECTION("page by page: one renewal per expiry, exactly") {
    o.token_uses = 7;
    FakeArmis fake(o);
    auto s = source_for(fake, 500);
    s.options["max_concurrency"] = "1";
    auto out = run_source(s);
    check_complete(out, 20'000);
    CHECK(fake.api.token_requests() == 6);  // 40 pages, 7 per token
    CHECK(fake.api.rejected_tokens() == 5);
  }
  SECTION("pages in flight: the pages refused together share one renewal") {
    o.token_uses = 25;
    FakeArmis fake(o);
    auto s = source_for(fake, 250);  // 80 pages
    s.options["max_concurrency"] = "4";
    auto out = run_source(s);
    check_complete(out, 20'000);
    // Each token serves 25 searches; several pages may meet the same
    // expiry, but each expiry costs one renewal.
    CHECK(fake.api.rejected_tokens() >= 3);
    CHECK(fake.api.token_requests() <= 1 + fake.api.rejected_tokens());
    CHECK(fake.api.token_requests() <= 1 + (80 + fake.api.rejected_tokens()) / 25 + 1);
  }
}

TEST_CASE("form-style auth sends the raw token", "[sync][armis][https]") {
  auto o = api_options(3000);
  o.api_key.clear();
  o.secret_key = "s3cr+t/&=x y";
  FakeArmis fake(o);
  auto s = source_for(fake);
  s.credentials = {{"secret_key", o.secret_key}};
  check_complete(run_source(s), 3000);
}

TEST_CASE("429 with Retry-After, 500s and resets mid-body are retried; the run completes",
          "[sync][armis][https][faults]") {
  auto o = api_options(10'000);
  o.rate_limit_every = 4;
  o.error_every = 5;
  o.reset_every = 7;
  FakeArmis fake(o);
  auto s = source_for(fake, 1000);
  s.options["max_concurrency"] = "1";  // page by page: the fake's every-Nth faults fall the same way each run
  auto out = run_source(s);
  check_complete(out, 10'000);
  CHECK(fake.api.searches() > 10);  // the faults cost extra attempts
  // Every failed attempt was retried, and each 429's Retry-After (1 s) was
  // waited out (the policy's own waits, tallied, not a stopwatch).
  CHECK(out.retries.retries >= fake.api.rate_limited());
  CHECK(out.retries.retries <= fake.api.searches() - 10);
  CHECK(out.retries.waited >= std::chrono::seconds(1) * fake.api.rate_limited());
  CHECK(fake.api.rate_limited() > 0);
}

TEST_CASE("gzip pages are inflated as they arrive; the inventory arrives exactly", "[sync][armis][https]") {
  auto o = api_options(20'000);
  o.gzip = true;
  FakeArmis fake(o);
  auto out = run_source(source_for(fake, 1000));
  check_complete(out, 20'000);
  CHECK(fake.api.gzipped() == 20);  // every page travelled compressed
}

TEST_CASE("slow bodies: a slow page completes, a stalled one is given up on", "[sync][armis][https][faults]") {
  SECTION("pauses inside the idle timeout cost time, not the run") {
    auto o = api_options(3000);
    o.piece_pause = std::chrono::milliseconds(30);
    FakeArmis fake(o);
    auto s = source_for(fake, 1000);
    s.options["body_idle_timeout"] = "5s";
    auto out = run_source(s);
    check_complete(out, 3000);
    CHECK(out.retries.retries == 0);
  }
  SECTION("silence past body_idle_timeout fails every attempt at the search stage") {
    auto o = api_options(3000);
    o.piece_pause = std::chrono::milliseconds(400);
    FakeArmis fake(o);
    auto s = source_for(fake, 1000);
    s.options["body_idle_timeout"] = "50ms";
    auto out = run_source(s);
    CHECK(out.stage == "search");
    CHECK_THAT(out.error, Catch::StartsWith("search page 1 of query (all)") &&
                              Catch::Contains("no body data for 50 ms"));
    CHECK(out.retries.retries == 4);  // five attempts in all, then the run fails
    CHECK(out.devices.empty());       // nothing of a half-read page is delivered
  }
  SECTION("a bad timeout setting is refused naming the key") {
    auto s = source_for(FakeArmis(api_options(10)), 1000);
    s.options["request_timeout"] = "soon";
    auto adapter = make_adapter(s);
    REQUIRE_FALSE(adapter.ok());
    CHECK_THAT(adapter.error(), Catch::Contains("request_timeout must be a duration of 1ms or more, not \"soon\""));
  }
}

TEST_CASE("broken pages, loops, huge bodies and bad credentials end as documented",
          "[sync][armis][https][faults]") {
  SECTION("malformed JSON fails the run naming the page") {
    auto o = api_options(5000);
    o.malformed_every = 2;
    FakeArmis fake(o);
    auto s = source_for(fake, 1000);
    s.options["max_concurrency"] = "1";  // the second page asked for is page 2
    auto out = run_source(s);
    CHECK_THAT(out.error, Catch::StartsWith("search page 2 of query (all): page is not valid JSON"));
    CHECK(out.stage == "search");
    CHECK(out.http_status == 200);
  }
  SECTION("a server that repeats its page ends the query after one page") {
    auto o = api_options(5000);
    o.endless = true;
    FakeArmis fake(o);
    auto out = run_source(source_for(fake, 1000));
    CHECK(out.error.empty());
    CHECK(out.devices.size() == 1000);
    CHECK(fake.api.searches() == 1);
  }
  SECTION("a page over max_page_bytes fails at the body stage") {
    auto o = api_options(100);
    o.huge_body_bytes = 3 << 20;
    FakeArmis fake(o);
    auto s = source_for(fake);
    s.options["max_page_bytes"] = "1MiB";
    auto out = run_source(s);
    CHECK_THAT(out.error, Catch::EndsWith("body larger than the 1048576 byte limit"));
  }
  SECTION("wrong credentials fail at auth without echoing them") {
    auto o = api_options(100);
    o.api_secret = "the-right-one";
    FakeArmis fake(o);
    auto out = run_source(source_for(fake));
    CHECK_THAT(out.error, Catch::StartsWith("auth: POST https://127.0.0.1:") &&
                              Catch::EndsWith("/api/v1/access_token/: HTTP 401 (the server refused the request)"));
    CHECK_FALSE(mentions_credentials(out.error));
    CHECK(out.stage == "auth");
    CHECK(out.http_status == 401);
  }
  SECTION("an untrusted server certificate fails at the TLS stage") {
    FakeArmis fake(api_options(100));
    auto s = source_for(fake);
    s.ca_file.clear();  // the system store does not know the test CA
    auto out = run_source(s);
    CHECK_THAT(out.error, Catch::Contains("certificate of 127.0.0.1 not accepted"));
  }
}

TEST_CASE("several queries: each device once, with every label", "[sync][armis][https]") {
  FakeArmis fake(api_options(2000));
  auto s = source_for(fake, 700);
  s.queries = {{"cams", "in:devices type:Camera", {}}, {"all", "", {}}};
  auto out = run_source(s);
  check_complete(out, 2000);
  for (const auto& d : out.devices) {
    bool labelled = false;
    for (const auto& [k, v] : d.metadata) labelled |= k == "query_label" && v == "cams,all";
    REQUIRE(labelled);
  }
}

TEST_CASE("a failing source does not hurt another running beside it", "[sync][armis][https]") {
  auto bad_options = api_options(5000);
  bad_options.malformed_every = 1;
  FakeArmis bad(bad_options), good(api_options(30'000));
  sr::net::IoPool pool(2);  // before the adapters: their connections live on it
  auto work = asio::make_work_guard(pool.executor());
  pool.start();
  auto bad_adapter = make_adapter(source_for(bad));
  auto good_adapter = make_adapter(source_for(good));
  REQUIRE(bad_adapter.ok());
  REQUIRE(good_adapter.ok());
  Collected bad_sink, good_sink;
  const auto info = sr::test::test_run_info();
  auto bad_run = sr::test::start_run(pool, **bad_adapter, bad_sink, info);
  auto good_run = sr::test::start_run(pool, **good_adapter, good_sink, info);
  CHECK_FALSE(get_bounded(bad_run, "bad run").ok());
  CHECK(get_bounded(good_run, "good run").ok());
  bad_adapter->reset();
  good_adapter->reset();
  work.reset();
  pool.join();
  CHECK(good_sink.devices.size() == 30'000);
}

namespace {

// An Armis whose second page is empty while `next` still advances (devices
// filtered out server-side), and whose MAC lists use ';' and spaces.
struct GappyArmis {
  explicit GappyArmis(int) {}
  sr::fake::Reply handle(const sr::fake::ServerRequest& r) {
    sr::fake::Reply reply;
    reply.headers = {{"Content-Type", "application/json"}};
    if (r.target.starts_with("/api/v1/access_token/")) {
      reply.body = R"({"data":{"access_token":"tok","expiration_utc":"2099-01-01T00:00:00Z"},"success":true})";
      return reply;
    }
    ++searches;
    const auto device = [](int id, const char* ip, const char* macs) {
      return fmt::format(R"({{"id":{},"ipAddress":"{}","macAddress":"{}","name":"d{}"}})", id, ip, macs, id);
    };
    if (r.target.find("from=0&") != std::string::npos)
      reply.body = R"({"data":{"count":2,"next":2,"total":5,"results":[)" +
                   device(1, "10.1.0.1", "junk;aa:bb:cc:00:00:01") + "," +
                   device(2, "10.1.0.2", "n/a aa:bb:cc:00:00:02") + R"(]},"success":true})";
    else if (r.target.find("from=2&") != std::string::npos)
      reply.body = R"({"data":{"count":0,"next":4,"total":5,"results":[]},"success":true})";
    else if (r.target.find("from=4&") != std::string::npos)
      reply.body = R"({"data":{"count":1,"next":null,"total":5,"results":[)" +
                   device(5, "10.1.0.5", "aa:bb:cc:00:00:05 ; aa:bb:cc:00:00:06") + R"(]},"success":true})";
    else
      reply.status = 404;
    return reply;
  }
  int searches = 0;
};

}  // namespace

TEST_CASE("paging goes on past an empty page while next advances; MAC lists split on ; and spaces",
          "[sync][armis][https]") {
  sr::test::FakeApi<GappyArmis> fake(0);
  auto s = source_for(fake, 2);
  auto out = run_source(s);
  REQUIRE(out.error.empty());
  CHECK(fake.api.searches == 3);
  REQUIRE(out.devices.size() == 3);  // the device after the empty page arrives
  std::map<std::string, std::string> mac_by_ip;
  for (const auto& d : out.devices) mac_by_ip[d.ip] = d.mac;
  CHECK(mac_by_ip["10.1.0.1"] == "AA:BB:CC:00:00:01");
  CHECK(mac_by_ip["10.1.0.2"] == "AA:BB:CC:00:00:02");
  CHECK(mac_by_ip["10.1.0.5"] == "AA:BB:CC:00:00:05");
}

TEST_CASE("several queries past max_merged_devices: held devices merged, the rest sent unmerged and counted",
          "[sync][armis][https][bound]") {
  // The fake lists every device for every query: 2 queries x 2000 devices.
  FakeArmis fake(api_options(2000));
  auto s = source_for(fake, 700);
  s.queries = {{"cams", "in:devices type:Camera", {}}, {"all", "", {}}};
  s.options["max_merged_devices"] = "500";
  auto out = run_source(s);
  REQUIRE(out.error.empty());
  // 500 held and merged; the other 1500 sent once per query listing them.
  CHECK(out.over_cap == 2 * 1500);
  CHECK(out.devices.size() == 500 + 2 * 1500);
  std::map<std::string, std::multiset<std::string>> labels_by_ip;
  for (const auto& d : out.devices) labels_by_ip[d.ip].insert(sr::test::meta_of(d, "query_label"));
  std::set<std::string> got;
  std::uint64_t merged = 0, split = 0;
  for (const auto& [ip, labels] : labels_by_ip) {
    got.insert(ip);
    if (labels == std::multiset<std::string>{"cams,all"}) ++merged;
    else if (labels == std::multiset<std::string>{"all", "cams"}) ++split;
  }
  CHECK(got == inventory_ips(2000));  // nothing lost
  CHECK(merged == 500);
  CHECK(split == 1500);

  s.options["max_merged_devices"] = "0";
  auto refused = sr::sync::make_adapter(s);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().find("max_merged_devices must be a whole number >= 1, not \"0\"") != std::string::npos);
}

namespace {

// A fake whose page at `from` is asked for with `length` instead: the
// server pages differently from the plan made from page 1 (the inventory
// changed during the run).
FakeArmis::Rewrite page_resized(std::uint64_t from, std::uint64_t planned, std::uint64_t length) {
  return [=](sr::fake::ServerRequest& r) {
    const auto at = fmt::format("from={}&length={}", from, planned);
    if (auto pos = r.target.find(at); pos != std::string::npos)
      r.target.replace(pos, at.size(), fmt::format("from={}&length={}", from, length));
  };
}

}  // namespace

TEST_CASE("pages in flight: every device once, over at most max_concurrency connections",
          "[sync][armis][https][concurrency]") {
  FakeArmis fake(api_options(50'000));
  auto s = source_for(fake, 500);  // 100 pages
  s.options["max_concurrency"] = "4";
  auto out = run_source(s);
  check_complete(out, 50'000);
  CHECK(out.expected == 50'000);
  CHECK(fake.api.searches() == 100);  // no page fetched twice
  // Pages 2 and 3 start together (the initial limit is 2): a second
  // connection is certain; never more than the limit allows.
  CHECK(fake.server.connections_accepted() >= 2);
  CHECK(fake.server.connections_accepted() <= 4);
  CHECK(out.page_concurrency >= 2);
  CHECK(out.page_concurrency <= 4);
  CHECK(out.concurrency_decreases == 0);
}

TEST_CASE("pages in flight with 429s, 5xx and cut bodies: every device once, the limit backs off",
          "[sync][armis][https][concurrency][faults]") {
  auto o = api_options(20'000);
  o.rate_limit_every = 3;
  o.retry_after_seconds = 0;
  o.error_every = 4;
  o.reset_every = 5;
  o.faults_once_per_page = true;  // every page gets through, however the pages in flight interleave
  FakeArmis fake(o);
  auto s = source_for(fake, 500);  // 40 pages
  s.options["max_concurrency"] = "8";
  auto out = run_source(s);
  check_complete(out, 20'000);
  CHECK(fake.api.rate_limited() > 0);
  CHECK(out.retries.retries >= fake.api.rate_limited());
  CHECK(out.concurrency_decreases >= 1);  // push-back was heard (the metric counts it)
  CHECK(out.page_concurrency >= 1);
  CHECK(out.page_concurrency <= 8);
}

TEST_CASE("a page that changes size drops the plan there; every device still arrives once",
          "[sync][armis][https][concurrency]") {
  SECTION("shorter: the devices after it come in the next page, page by page") {
    FakeArmis fake(api_options(10'000), page_resized(3000, 1000, 900));
    auto s = source_for(fake, 1000);
    s.options["max_concurrency"] = "4";
    check_complete(run_source(s), 10'000);
  }
  SECTION("longer: the planned page it overlaps is dropped, not delivered") {
    FakeArmis fake(api_options(10'000), page_resized(3000, 1000, 1500));
    auto s = source_for(fake, 1000);
    s.options["max_concurrency"] = "4";
    check_complete(run_source(s), 10'000);
  }
  SECTION("the last page: a server that pages on past the planned end is followed") {
    FakeArmis fake(api_options(10'000), page_resized(0, 1000, 900));  // page 1 sets a stride of 900
    auto s = source_for(fake, 1000);
    s.options["max_concurrency"] = "4";
    check_complete(run_source(s), 10'000);
  }
}

TEST_CASE("a page that fails for good fails the run; nothing is left running", "[sync][armis][https][concurrency]") {
  auto o = api_options(20'000);
  o.malformed_every = 9;
  FakeArmis fake(o);
  auto s = source_for(fake, 500);
  s.options["max_concurrency"] = "4";
  auto out = run_source(s);  // returns only once every fetch of the window ended
  CHECK(out.stage == "search");
  CHECK_THAT(out.error, Catch::Contains("is not valid JSON"));
}

TEST_CASE("max_concurrency is checked: 1..32", "[sync][armis][concurrency]") {
  FakeArmis fake(api_options(10));
  for (const char* bad : {"0", "33", "four", "-1"}) {
    auto s = source_for(fake);
    s.options["max_concurrency"] = bad;
    auto adapter = make_adapter(s);
    REQUIRE_FALSE(adapter.ok());
    CHECK_THAT(adapter.error(), Catch::Contains(fmt::format("max_concurrency must be 1..32, not \"{}\"", bad)));
  }
}

namespace {

// Tells the test when the first page has been delivered.
struct FirstPageSink : sr::test::CollectingSink {
  using CollectingSink::push;
  std::promise<void> first;
  bool told = false;
  asio::awaitable<bool> push(EncodedBatch batch) override {
    const bool ok = co_await CollectingSink::push(std::move(batch));
    if (!told) {
      told = true;
      first.set_value();
    }
    co_return ok;
  }
};

}  // namespace

TEST_CASE("a run stopped while pages are in flight ends; every fetch is cancelled and waited for",
          "[sync][armis][https][concurrency]") {
  auto o = api_options(20'000);
  o.piece_pause = std::chrono::milliseconds(50);  // pages trickle in: several are in flight when it stops
  FakeArmis fake(o);
  auto s = source_for(fake, 500);
  s.options["max_concurrency"] = "4";
  sr::net::IoPool pool(2);  // before the adapter: its connections live on it
  auto work = asio::make_work_guard(pool.executor());
  pool.start();
  auto adapter = make_adapter(s);
  REQUIRE(adapter.ok());
  FirstPageSink sink;
  auto first = sink.first.get_future();
  const auto info = sr::test::test_run_info();
  auto strand = asio::make_strand(pool.executor());
  asio::cancellation_signal stop;
  auto run = asio::co_spawn(strand, (*adapter)->run(info, sink), asio::bind_cancellation_slot(stop.slot(), asio::use_future));
  get_bounded(first, "page 1 delivered");
  asio::post(strand, [&] { stop.emit(asio::cancellation_type::terminal); });
  const auto outcome = get_bounded(run, "the stopped run to end");
  CHECK_FALSE(outcome.ok());
  CHECK(sink.devices.size() < 20'000);
  // The adapter goes first: a fetch still running would touch it (ASan, TSan).
  adapter->reset();
  work.reset();
  pool.join();
}
