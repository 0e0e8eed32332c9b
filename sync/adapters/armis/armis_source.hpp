// The `armis` source type: access token (JSON or form style) cached until
// shortly before it expires and renewed once on a 401; AQL search paged with
// the loop guard; several queries merged by Armis id; pages parsed as they
// arrive and pushed into the pipeline page by page. Every request goes through
// the retry policy (net/https/fetch).
#pragma once

#include "net/https/retry_policy.hpp"
#include "sync/adapters/https/https_source.hpp"

#include <boost/url/url.hpp>

#include <chrono>
#include <memory>
#include <optional>

namespace sr::sync {
struct PageStep;  // page_window.hpp
}  // namespace sr::sync

namespace sr::sync::armis {

// Devices several queries' results are merged over (MergeStore: about 210
// heap bytes each for faker-like devices, so ~210 MB at the cap). Past it a
// device not held yet is sent unmerged.
constexpr std::uint64_t kDefaultMaxMergedDevices = 1'000'000;

struct ArmisOptions {
  HttpsSourceOptions http;  // endpoint, page size (default 100), TLS, proxy
  enum class Auth { json, form } auth = Auth::json;
  std::string api_key, api_secret, secret_key;  // never logged
  std::vector<QueryConfig> queries;  // none: one query with empty AQL
  net::https::RetryPolicy retry;
  std::uint64_t max_merged_devices = kDefaultMaxMergedDevices;  // setting max_merged_devices
};

// From the source's config; errors name the key (never a credential's value).
base::Expected<ArmisOptions> armis_options(const SourceConfig& source);

// An `expiration_utc` ("2026-11-25T16:00:00.123+00:00", "...Z"); none when
// it does not read or lies outside 1900..2200 (the clock would overflow).
std::optional<std::chrono::system_clock::time_point> parse_expiration(std::string_view text);

class SearchPage;

class ArmisSource final : public HttpsSource {
 public:
  ArmisSource(const SourceConfig& source, ArmisOptions options);
  ~ArmisSource() override;

 private:
  struct Token {
    std::string header;  // the Authorization value
    std::chrono::steady_clock::time_point renew_at;
  };
  struct QueryRun;

  boost::asio::awaitable<RunOutcome> run_source(const RunInfo& info, DeviceSink& sink) override;
  // The access token, renewed shortly before it expires (or when `force`d);
  // requests that meet a renewal in progress wait for it.
  boost::asio::awaitable<RunOutcome> ensure_token(bool force);
  boost::asio::awaitable<RunOutcome> renew_token();
  net::https::Request token_request() const;
  // The token in an access_token answer, due for renewal 5 minutes before
  // its expiration_utc (45 minutes when none reads); none when it has none.
  std::optional<Token> read_token(std::string_view answer) const;
  // Page 1 alone (it says how many there are), then the rest several at a
  // time (page_window), then page by page if the plan did not hold.
  boost::asio::awaitable<RunOutcome> run_query(QueryRun& q);
  boost::asio::awaitable<RunOutcome> window_pages(QueryRun& q, std::uint64_t& from, std::uint64_t stride,
                                                  std::uint64_t total, bool& finished);
  boost::asio::awaitable<RunOutcome> pages_in_turn(QueryRun& q, std::uint64_t from);
  // A fetched page into the pipeline (or the merge); where the next one starts.
  boost::asio::awaitable<PageStep> deliver_page(QueryRun& q, std::uint64_t from, SearchPage& page);
  // Merging: a page's devices into the store; those it cannot hold sent at once.
  boost::asio::awaitable<bool> merge_page(QueryRun& q, std::vector<struct ArmisDevice>& page);
  // One search page; on a 401 the token is renewed once and the page retried.
  boost::asio::awaitable<RunOutcome> search_page(QueryRun& q, std::uint64_t from, std::uint64_t number,
                                                 SearchPage& page);
  boost::asio::awaitable<RunOutcome> try_page(QueryRun& q, std::uint64_t from, const std::string& where,
                                              SearchPage& page);
  boost::urls::url search_url(const std::string& aql, std::uint64_t from) const;

  ArmisOptions options_;
  std::optional<Token> token_;
  std::uint64_t token_generation_ = 0;  // renewals so far: a 401 on an older token needs none
  struct Renewal;
  std::shared_ptr<Renewal> renewing_;  // a renewal in progress, which other requests wait for
};

}  // namespace sr::sync::armis
