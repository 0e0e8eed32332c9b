// Running an HTTPS adapter in a test: a fake API on a scripted HTTPS server
// of its own (test PKI), a sink that collects what the adapter pushes, and a
// run to completion on a pool of its own.
#pragma once

#include "net/io_pool.hpp"
#include "sync/adapters/adapter.hpp"
#include "tests/support/test_pki.hpp"
#include "tests/support/wait.hpp"
#include "tests/sync/decode_body.hpp"
#include "tools/fake-inventory/server/https_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_future.hpp>

#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <vector>

namespace sr::test {

template <class Api>
struct FakeApi {
  // Changes a request before the API sees it (a page asked for with another
  // size, say); set at construction, so the server's thread only reads it.
  using Rewrite = std::function<void(sr::fake::ServerRequest&)>;
  template <class Options>
  explicit FakeApi(Options o, Rewrite rewrite = {})
      : api(std::move(o)),
        server(pool.executor(),
               {"127.0.0.1:0", (test_pki() / "test" / "https-server.pem").string(),
                (test_pki() / "test" / "https-server.key").string()},
               [this, rewrite = std::move(rewrite)](const sr::fake::ServerRequest& r) {
                 if (!rewrite) return api.handle(r);
                 auto changed = r;
                 rewrite(changed);
                 return api.handle(changed);
               }) {
    pool.start();
    if (auto e = server.start(); !e.empty()) fail_hard(e);
  }
  ~FakeApi() {
    std::promise<void> stopped;
    server.stop([&] { stopped.set_value(); });
    auto f = stopped.get_future();
    get_bounded(f, "fake API stop");
    work.reset();
    pool.join();
  }
  std::string endpoint() const { return "https://127.0.0.1:" + std::to_string(server.port()); }

  sr::net::IoPool pool{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{pool.executor()};
  Api api;
  sr::fake::HttpsServer server;
};

// Bodies pushed as an EncodedBatch are read back into DeviceUpdates (and
// counted), so a test sees the same devices whichever way they came.
struct CollectingSink : sync::DeviceSink {
  boost::asio::awaitable<bool> push(sync::DeviceBatch batch) override {
    std::lock_guard lock(mu);
    for (auto& d : batch) devices.push_back(std::move(d));
    co_return true;
  }
  boost::asio::awaitable<bool> push(sync::EncodedBatch batch) override {
    std::lock_guard lock(mu);
    for (auto& d : decode_batch(batch)) devices.push_back(std::move(d));
    encoded_devices += batch.size();
    co_return true;
  }
  void expect_total(std::uint64_t total) override { expected = total; }
  std::mutex mu;
  std::vector<sync::DeviceUpdate> devices;
  std::uint64_t expected = 0;
  std::uint64_t encoded_devices = 0;  // of `devices`, those pushed as bodies
};

inline sync::RunInfo test_run_info(std::filesystem::path state_dir = {}) {
  sync::RunInfo i;
  i.agent_id = "agent-1";
  i.gateway_id = "gw";
  i.partition = "default";
  i.timestamp = "2026-11-25T00:00:00Z";
  i.state_dir = std::move(state_dir);
  return i;
}

// Starts one run of `adapter` on a strand of `pool`; the future holds its outcome.
inline std::future<sync::RunOutcome> start_run(sr::net::IoPool& pool, sync::Adapter& adapter,
                                          CollectingSink& sink, const sync::RunInfo& info) {
  return boost::asio::co_spawn(boost::asio::make_strand(pool.executor()), adapter.run(info, sink),
                               boost::asio::use_future);
}

struct RunResult {
  std::string error, stage;
  unsigned http_status = 0;
  std::uint64_t skipped = 0;
  sync::RetryTally retries;
  std::uint64_t over_cap = 0;
  unsigned page_concurrency = 0;
  std::uint64_t concurrency_decreases = 0;
  std::vector<sync::DeviceUpdate> devices;
  std::uint64_t expected = 0;
};

// One run of the source's adapter to completion on a two-thread pool of its
// own. The adapter is made after the pool and destroyed before it: its HTTPS
// connections belong to the pool's io_context.
inline RunResult run_source_once(const sync::SourceConfig& source,
                                  const sync::RunInfo& info = test_run_info()) {
  sr::net::IoPool pool(2);
  auto work = boost::asio::make_work_guard(pool.executor());
  pool.start();
  auto adapter = sync::make_adapter(source);
  if (!adapter) fail_hard(source.type + " source rejected: " + adapter.error());
  CollectingSink sink;
  auto f = start_run(pool, **adapter, sink, info);
  RunResult out;
  auto outcome = get_bounded(f, "adapter run");
  out.error = outcome.error;
  out.stage = outcome.stage;
  out.http_status = outcome.http_status;
  out.skipped = outcome.skipped;
  out.retries = outcome.retries;
  out.over_cap = outcome.over_cap;
  out.page_concurrency = outcome.page_concurrency;
  out.concurrency_decreases = outcome.concurrency_decreases;
  adapter->reset();
  work.reset();
  pool.join();
  out.devices = std::move(sink.devices);
  out.expected = sink.expected;
  return out;
}

inline std::string meta_of(const sync::DeviceUpdate& d, std::string_view key) {
  for (const auto& [k, v] : d.metadata)
    if (k == key) return v;
  return "(absent)";
}

}  // namespace sr::test
