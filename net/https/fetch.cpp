#include "net/https/fetch.hpp"

#include "net/https/retry_after.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace sr::net::https {

namespace asio = boost::asio;

boost::asio::awaitable<FetchResult> fetch(
    Client& client, const Request& request, const RetryPolicy& policy, std::uint64_t seed,
    const SinkForAnswer& sink_for, const FetchObserver& observer) {
  RetryState retry(policy, seed);
  asio::steady_timer timer(co_await asio::this_coro::executor);
  FetchResult out;
  for (;;) {
    // Bodies of answers that are not 2xx are read and dropped (keeps the connection).
    const SinkForAnswer for_this = [&](const ResponseHead& head) -> BodySink {
      if (head.status >= 200 && head.status < 300) return sink_for(head);
      return [](std::string_view) { return true; };
    };
    const auto sent = std::chrono::steady_clock::now();
    out.last = co_await client.send(request, for_this);
    ++out.attempts;
    const auto cancel = co_await asio::this_coro::cancellation_state;
    if (cancel.cancelled() != asio::cancellation_type::none) {  // stopped: not the server's answer
      out.error = out.last.ok() ? "cancelled" : out.last.error;
      co_return out;
    }
    if (observer.attempt) observer.attempt(out.last, sent);
    AttemptOutcome outcome;
    if (out.last.ok()) {
      outcome.status = out.last.head.status;
      if (!out.last.head.retry_after.empty())
        outcome.retry_after =
            parse_retry_after(out.last.head.retry_after, std::chrono::system_clock::now());
    } else {
      outcome.error = out.last.error;
    }
    if (!out.last.ok() && !out.last.retryable) {
      out.error = out.last.error;
      co_return out;
    }
    const auto decision = retry.next(outcome);
    if (decision.verdict == RetryDecision::Verdict::done) co_return out;
    if (decision.verdict == RetryDecision::Verdict::fail) {
      if (out.last.ok()) {
        out.error = request.method + " " + safe_url(request.url) + ": " + decision.reason;
      } else {
        out.error = out.last.error;
        if (out.attempts > 1) out.error += " (gave up after " + std::to_string(out.attempts) + " attempts)";
      }
      co_return out;
    }
    if (observer.retry) observer.retry(decision.reason, decision.wait);
    timer.expires_after(decision.wait);
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) {
      out.error = "cancelled while waiting to retry";
      co_return out;
    }
  }
}

}  // namespace sr::net::https
