// One request with the retry policy applied: attempts, waits (Retry-After or
// backoff, on a timer the caller's cancellation reaches) and a fresh body
// reader per attempt, so a half-read failed attempt leaves nothing behind.
// The request keeps its slot while it waits: retries never add concurrency.
#pragma once

#include "net/https/client.hpp"
#include "net/https/retry_policy.hpp"

#include <functional>
#include <string>

namespace sr::net::https {

struct FetchResult {
  Result last;        // the last attempt
  int attempts = 0;
  std::string error;  // "" when the last attempt got a 2xx answer whose body was read
  bool ok() const { return error.empty(); }
};

// What the caller hears besides the result: `retry(reason, wait)` before
// each wait (for the log), `attempt(result, sent)` after each attempt, with
// when it was sent (a concurrency limit learns from 429s and timeouts).
struct FetchObserver {
  std::function<void(const std::string&, std::chrono::milliseconds)> retry;
  std::function<void(const Result&, std::chrono::steady_clock::time_point)> attempt;
};

boost::asio::awaitable<FetchResult> fetch(
    Client& client, const Request& request, const RetryPolicy& policy, std::uint64_t seed,
    const SinkForAnswer& sink_for,  // asked once per attempt, for 2xx answers only
    const FetchObserver& observer = {});

}  // namespace sr::net::https
