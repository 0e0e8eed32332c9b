#include "sync/adapters/https/https_source.hpp"

#include "base/log/logger.hpp"
#include "base/splitmix.hpp"

#include <boost/asio/this_coro.hpp>
#include <fmt/format.h>

namespace sr::sync {

namespace asio = boost::asio;
namespace https = sr::net::https;

RetryLog::OnRetry RetryLog::about(std::string where) {
  return [this, where = std::move(where)](const std::string& why, std::chrono::milliseconds wait) {
    ++tally_.retries;
    tally_.waited += wait;
    sr::log::warn(source_, fmt::format("{}: {}; retrying in {} ms", where, why, wait.count()));
  };
}

HttpsSource::HttpsSource(std::string name, std::string_view api, const HttpsSourceOptions& http,
                         const https::RetryPolicy& retry)
    : name_(std::move(name)),
      api_(api),
      client_options_(http.client),
      retry_(retry),
      seed_(std::hash<std::string>{}(name_)),
      concurrency_(PageConcurrencyOptions{http.max_concurrency, std::min(2u, http.max_concurrency)}) {}

HttpsSource::~HttpsSource() = default;

asio::awaitable<RunOutcome> HttpsSource::run(const RunInfo& info, DeviceSink& sink) {
  retry_log_.reset();
  peak_in_flight_ = 0;
  const auto decreases_before = concurrency_.decreases();
  auto outcome = co_await ensure_client();
  if (outcome.ok()) outcome = co_await run_source(info, sink);
  outcome.retries = retry_log_.tally();
  outcome.page_concurrency = concurrency_.limit();
  outcome.concurrency_decreases = concurrency_.decreases() - decreases_before;
  if (peak_in_flight_ > 1)
    sr::log::debug(name_, fmt::format("up to {} pages were in flight at once (limit now {}, max_concurrency {})",
                                      peak_in_flight_, concurrency_.limit(), concurrency_.max()));
  co_return outcome;
}

asio::awaitable<RunOutcome> HttpsSource::ensure_client() {
  if (client_) co_return RunOutcome{};
  auto c = https::Client::create(co_await asio::this_coro::executor, client_options_);
  if (!c) co_return RunOutcome::failed("setup", "tls: " + c.error());
  client_ = std::move(*c);
  if (client_options_.tls.insecure_skip_verify)
    sr::log::warn(name_, fmt::format("insecure_skip_verify is set: the {} server's certificate is not checked", api_));
  co_return RunOutcome{};
}

asio::awaitable<https::FetchResult> HttpsSource::fetch(const https::Request& req, const std::string& where,
                                                       const https::SinkForAnswer& sink_for) {
  https::FetchObserver observer;
  observer.retry = retry_log_.about(where);
  observer.attempt = [this, &where](const https::Result& result, std::chrono::steady_clock::time_point sent) {
    observe_attempt(result, sent, where);
  };
  co_return co_await https::fetch(*client_, req, retry_, base::splitmix(++seed_), sink_for, observer);
}

void HttpsSource::observe_attempt(const https::Result& result, std::chrono::steady_clock::time_point sent,
                                  const std::string& where) {
  const unsigned status = result.head.status;
  // A failure that would repeat (TLS trust, a limit, a page the parser
  // refused) is not the server pushing back.
  const bool push_back = status == 429 || status == 503 || (!result.ok() && result.retryable);
  if (!push_back) return;
  const unsigned before = concurrency_.limit();
  if (concurrency_.congested(sent, std::chrono::steady_clock::now()))
    sr::log::warn(name_, fmt::format("{}: {}: pages in flight {} -> {}", where,
                                     result.ok() ? fmt::format("HTTP {}", status) : std::string("request failed"),
                                     before, concurrency_.limit()));
}

asio::awaitable<RunOutcome> HttpsSource::fetch_page(const https::Request& req, const std::string& where,
                                                    const char* stage, PageReading& page) {
  std::string parse_error;
  const https::SinkForAnswer sink_for = [&](const https::ResponseHead&) -> https::BodySink {
    page.restart();
    parse_error.clear();
    return [&](std::string_view piece) {
      parse_error = page.feed(piece);
      return parse_error.empty();
    };
  };
  auto got = co_await fetch(req, where, sink_for);
  const unsigned status = got.last.head.status;
  if (!parse_error.empty()) co_return RunOutcome::failed(stage, where + ": " + parse_error, status);
  if (!got.ok()) co_return RunOutcome::failed(stage, where + ": " + got.error, status);
  if (auto err = page.finish(); !err.empty()) co_return RunOutcome::failed(stage, where + ": " + err, status);
  RunOutcome read;
  read.http_status = status;
  read.retries.retries = static_cast<std::uint64_t>(got.attempts - 1);  // 0: a clean page
  co_return read;
}

}  // namespace sr::sync
