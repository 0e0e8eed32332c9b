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

HttpsSource::HttpsSource(std::string name, std::string_view api, const https::ClientOptions& client,
                         const https::RetryPolicy& retry)
    : name_(std::move(name)),
      api_(api),
      client_options_(client),
      retry_(retry),
      seed_(std::hash<std::string>{}(name_)) {}

HttpsSource::~HttpsSource() = default;

asio::awaitable<RunOutcome> HttpsSource::run(const RunInfo& info, DeviceSink& sink) {
  retry_log_.reset();
  auto outcome = co_await ensure_client();
  if (outcome.ok()) outcome = co_await run_source(info, sink);
  outcome.retries = retry_log_.tally();
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
  co_return co_await https::fetch(*client_, req, retry_, base::splitmix(++seed_), sink_for,
                                  retry_log_.about(where));
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
  co_return read;
}

}  // namespace sr::sync
