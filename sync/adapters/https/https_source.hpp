// What the HTTPS sources (armis, netbox) share: the client, set up before a
// run's first request; each retry logged and tallied for the run's outcome;
// a jitter seed per request; one page fetched through a streaming parser.
#pragma once

#include "net/https/client.hpp"
#include "net/https/fetch.hpp"
#include "net/https/retry_policy.hpp"
#include "sync/adapters/adapter.hpp"
#include "sync/adapters/https/https_source_options.hpp"
#include "sync/adapters/https/page_concurrency.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sr::sync {

// Each retry of a source's requests, logged ("<where>: <why>; retrying in N
// ms") and tallied for the run's outcome (retries, time waited).
class RetryLog {
 public:
  using OnRetry = std::function<void(const std::string&, std::chrono::milliseconds)>;
  explicit RetryLog(std::string source) : source_(std::move(source)) {}
  void reset() { tally_ = {}; }
  const RetryTally& tally() const { return tally_; }
  // The on_retry callback of net::https::fetch for requests of `where`.
  OnRetry about(std::string where);

 private:
  std::string source_;
  RetryTally tally_;
};

// A page parser as one fetch drives it: a fresh one per attempt (nothing of
// a failed attempt's half page is kept), fed the body, then finished.
class PageReading {
 public:
  virtual ~PageReading() = default;
  virtual void restart() = 0;
  virtual std::string feed(std::string_view piece) = 0;  // "" while fine
  virtual std::string finish() = 0;                      // "" when whole
};

// A Parser (PageParser<Device, Info>) whose devices go into `out`.
template <class Parser>
class ParsedPage final : public PageReading {
 public:
  using Device = typename Parser::Device;
  explicit ParsedPage(std::vector<Device>& out) : out_(out) {}
  void restart() override {
    out_.clear();
    parser_ = std::make_unique<Parser>([this](Device& d) {
      out_.push_back(std::move(d));
      return true;
    });
  }
  std::string feed(std::string_view piece) override { return parser_->feed(piece); }
  std::string finish() override { return parser_->finish(); }
  const typename Parser::Info& info() const { return parser_->info(); }

 private:
  std::vector<Device>& out_;
  std::unique_ptr<Parser> parser_;
};

class HttpsSource : public Adapter {
 public:
  ~HttpsSource() override;
  // Sets the client up (once), runs the source, tallies its retries.
  boost::asio::awaitable<RunOutcome> run(const RunInfo& info, DeviceSink& sink) final;

 protected:
  // `api`: the vendor's name for the log ("Armis").
  HttpsSource(std::string name, std::string_view api, const HttpsSourceOptions& http,
              const net::https::RetryPolicy& retry);

  // The source's own run, with the client set up.
  virtual boost::asio::awaitable<RunOutcome> run_source(const RunInfo& info, DeviceSink& sink) = 0;

  // One request through the retry policy; its retries logged as `where`.
  boost::asio::awaitable<net::https::FetchResult> fetch(const net::https::Request& req,
                                                        const std::string& where,
                                                        const net::https::SinkForAnswer& sink_for);
  // One page read through `page`; a failure says `stage`, `where` and the
  // last HTTP status (a success has the answer's status too).
  boost::asio::awaitable<RunOutcome> fetch_page(const net::https::Request& req, const std::string& where,
                                                const char* stage, PageReading& page);

  const std::string& name() const { return name_; }
  // Pages in flight: learnt over the source's runs, halved by push-back on
  // any of its requests (429, 503, timeouts, broken answers).
  PageConcurrency& concurrency() { return concurrency_; }
  // Notes a run's most pages in flight at once (for the log).
  void note_peak(unsigned in_flight) { peak_in_flight_ = std::max(peak_in_flight_, in_flight); }

 private:
  // Each attempt's answer: push-back halves the pages in flight (logged).
  void observe_attempt(const net::https::Result& result, std::chrono::steady_clock::time_point sent,
                       const std::string& where);
  boost::asio::awaitable<RunOutcome> ensure_client();

  std::string name_, api_;
  net::https::ClientOptions client_options_;
  net::https::RetryPolicy retry_;
  std::unique_ptr<net::https::Client> client_;
  std::uint64_t seed_;
  RetryLog retry_log_{name_};
  PageConcurrency concurrency_;
  unsigned peak_in_flight_ = 0;
};

}  // namespace sr::sync
