#include "tools/agent-gateway/inventory/ingestor.hpp"

#include "base/env_knob.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/experimental/channel_error.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <map>
#include <mutex>
#include <thread>

namespace sr::gateway::inventory {

namespace asio = boost::asio;
using asio::use_awaitable;
// Chunks travel as pointers: received by value, a chunk's short (inline)
// strings came back pointing into another coroutine frame with GCC 12 and
// Boost 1.81 (ASan: free of a non-heap address); a pointer is immune.
using ChunkPtr = std::unique_ptr<IngestChunk>;
using Channel = asio::experimental::concurrent_channel<void(boost::system::error_code, ChunkPtr)>;
using Signal = asio::experimental::concurrent_channel<void(boost::system::error_code)>;

}  // namespace sr::gateway::inventory

struct sr::gateway::inventory::IngestReceipt {
  std::mutex mu;
  std::string error;               // the first failed write, "" if none
  std::shared_ptr<Signal> sealed;  // set on the end marker: signalled once it is reached
};

namespace sr::gateway::inventory {

namespace {

void knob(const char* name, std::size_t min, std::size_t& field, std::vector<std::string>& warnings) {
  field = static_cast<std::size_t>(base::env_knob(name, base::KnobUnit::count, {min}, field, warnings));
}

}  // namespace

IngestorOptions IngestorOptions::from_environment(std::vector<std::string>& warnings) {
  IngestorOptions o;
  std::size_t coalesce = static_cast<std::size_t>(o.coalesce.count());
  knob("SYNC_INGESTOR_COALESCE_MS", 0, coalesce, warnings);
  o.coalesce = std::chrono::milliseconds(coalesce);
  knob("SYNC_INGESTOR_QUEUE_MAX_CHUNKS", 1, o.queue_max_chunks, warnings);
  knob("SYNC_INGESTOR_MAX_INFLIGHT", 1, o.max_inflight, warnings);
  knob("SYNC_INGESTOR_BATCH_CONCURRENCY", 1, o.batch_concurrency, warnings);
  if (o.batch_concurrency > 1) {
    warnings.push_back("SYNC_INGESTOR_BATCH_CONCURRENCY=" + std::to_string(o.batch_concurrency) +
                       ": SQLite has one writer, using 1");
    o.batch_concurrency = 1;
  }
  return o;
}

struct Ingestor::Impl {
  InventoryStore& store;
  IngestorOptions options;
  asio::io_context writer_ctx;  // the writer's own thread: SQLite calls block it, nothing else
  Channel channel;
  std::thread writer;
  mutable std::mutex mu;
  IngestCounters counters;
  bool stopped = false;

  Impl(InventoryStore& s, IngestorOptions o)
      : store(s), options(std::move(o)), writer_ctx(1), channel(writer_ctx, options.queue_max_chunks) {}

  // The writer may take a chunk before its sender hears it was queued, so the
  // depth is queued minus taken, never below zero.
  std::uint64_t taken = 0;
  void update_depth() {
    counters.queue_depth = counters.chunks_queued > taken ? counters.chunks_queued - taken : 0;
    counters.max_queue_depth = std::max(counters.max_queue_depth, counters.queue_depth);
  }

  void note_queued() {
    std::lock_guard lock(mu);
    ++counters.chunks_queued;
    update_depth();
  }

  void take(std::vector<IngestChunk>& batch, ChunkPtr chunk) {
    if (!chunk->devices.empty()) {  // end markers are not counted as queued
      std::lock_guard lock(mu);
      ++taken;
      update_depth();
    }
    batch.push_back(std::move(*chunk));
  }

  // One transaction per tenant for the merged chunks; then the chunks'
  // receipts learn the outcome, and sealed ones wake their streams.
  void write(std::vector<IngestChunk>& batch) {
    if (options.before_write) options.before_write();
    std::map<std::string, std::vector<IncomingDevice>> by_tenant;
    std::size_t with_devices = 0;
    for (auto& c : batch) {
      if (c.devices.empty()) continue;
      ++with_devices;
      auto& into = by_tenant[c.tenant];
      std::move(c.devices.begin(), c.devices.end(), std::back_inserter(into));
    }
    std::map<std::string, std::string> failed;  // tenant -> why
    for (auto& [tenant, devices] : by_tenant) {
      auto r = store.apply(tenant, devices);
      std::lock_guard lock(mu);
      ++counters.transactions;
      if (!r) {
        ++counters.write_errors;
        counters.last_error = r.error();
        failed[tenant] = r.error();
        continue;
      }
      counters.devices_written += devices.size();
      counters.totals += *r;
    }
    {
      std::lock_guard lock(mu);
      counters.chunks_written += with_devices;
    }
    settle_receipts(batch, failed);
  }

  static void settle_receipts(std::vector<IngestChunk>& batch,
                              const std::map<std::string, std::string>& failed) {
    for (auto& c : batch) {
      const auto f = failed.find(c.tenant);
      settle(c, f == failed.end() ? nullptr : &f->second);
    }
  }

  // Records `error` (if any, the first one wins) on the chunk's receipt; an
  // end marker (no devices) then wakes the stream waiting in committed().
  static void settle(const IngestChunk& c, const std::string* error) {
    if (!c.receipt) return;
    std::shared_ptr<Signal> sealed;
    {
      std::lock_guard lock(c.receipt->mu);
      if (error && c.receipt->error.empty()) c.receipt->error = *error;
      sealed = c.receipt->sealed;
    }
    if (sealed && c.devices.empty()) sealed->try_send(boost::system::error_code{});
  }

  // An empty tenant is stop()'s end marker: everything before it is written.
  static bool is_end(const ChunkPtr& c) { return !c || c->tenant.empty(); }

  // The next chunk if one arrives before the window closes (the timer
  // cancels just this receive: waiting senders are not touched).
  enum class Got { chunk, window_closed, channel_closed };
  asio::awaitable<Got> receive_within(asio::steady_timer& window, ChunkPtr& out) {
    // Shared: a timer that fired just as a chunk came still runs its handler later.
    auto stop_receive = std::make_shared<asio::cancellation_signal>();
    window.async_wait([stop_receive](boost::system::error_code ec) {
      if (!ec) stop_receive->emit(asio::cancellation_type::terminal);
    });
    auto result = co_await channel.async_receive(
        asio::bind_cancellation_slot(stop_receive->slot(), asio::as_tuple(use_awaitable)));
    const bool timed_out = window.cancel() == 0;  // 0: its handler already ran or is queued
    boost::system::error_code ec = std::get<0>(result);
    if (!ec) {
      out = std::move(std::get<1>(result));
      if (timed_out) window.expires_at(asio::steady_timer::time_point::min());
      co_return Got::chunk;
    }
    // A cancelled receive ends with channel_cancelled, not operation_aborted.
    co_return ec == asio::experimental::error::channel_closed ? Got::channel_closed : Got::window_closed;
  }

  asio::awaitable<void> run() {
    asio::steady_timer window(writer_ctx);
    bool ending = false;
    while (!ending) {
      auto first = co_await channel.async_receive(asio::as_tuple(use_awaitable));
      if (std::get<0>(first)) break;
      std::vector<IngestChunk> batch;
      ending = is_end(std::get<1>(first));
      if (!ending) take(batch, std::move(std::get<1>(first)));
      window.expires_after(options.coalesce);
      while (!ending && batch.size() < options.max_inflight) {
        ChunkPtr more;
        bool got = false;
        const bool ready = channel.try_receive([&](boost::system::error_code e, ChunkPtr c) {
          got = !e;
          if (got) more = std::move(c);
        });
        if (!ready) {
          if (options.coalesce.count() == 0 || window.expiry() <= asio::steady_timer::clock_type::now()) break;
          const Got g = co_await receive_within(window, more);
          if (g != Got::chunk) {
            ending = g == Got::channel_closed;
            break;
          }
          got = true;
        }
        if (!got) break;
        if (is_end(more)) ending = true;
        else take(batch, std::move(more));
      }
      if (!batch.empty()) write(batch);
    }
    // Pushes still waiting are refused; the writer's context then runs out of work.
    channel.cancel();
    channel.close();
    // Whatever slipped in behind stop()'s marker is not written: its streams hear so.
    while (channel.try_receive([](boost::system::error_code, ChunkPtr c) { refuse(c); })) {
    }
  }

  static void refuse(const ChunkPtr& c) {
    static const std::string stopping = "the gateway is stopping";
    if (c) settle(*c, &stopping);
  }
};

Ingestor::Ingestor(InventoryStore& store, IngestorOptions options)
    : impl_(std::make_shared<Impl>(store, std::move(options))) {
  asio::co_spawn(impl_->writer_ctx, impl_->run(), asio::detached);
  impl_->writer = std::thread([i = impl_] { i->writer_ctx.run(); });
}

Ingestor::~Ingestor() { stop(); }

std::shared_ptr<IngestReceipt> Ingestor::new_receipt() { return std::make_shared<IngestReceipt>(); }

asio::awaitable<bool> Ingestor::push(IngestChunk chunk) {
  if (chunk.tenant.empty()) co_return false;  // every chunk belongs to a tenant
  if (chunk.devices.empty()) co_return true;  // nothing to write (an empty chunk would read as an end marker)
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopped) co_return false;
    // Approximate, as the depth is: enough to show backpressure happened.
    if (impl_->counters.queue_depth >= impl_->options.queue_max_chunks) ++impl_->counters.pushes_delayed;
  }
  auto [ec] = co_await impl_->channel.async_send(boost::system::error_code{},
                                                 std::make_unique<IngestChunk>(std::move(chunk)),
                                                 asio::as_tuple(use_awaitable));
  if (ec) co_return false;
  impl_->note_queued();
  co_return true;
}

asio::awaitable<std::string> Ingestor::committed(std::string tenant,
                                                 std::shared_ptr<IngestReceipt> receipt) {
  auto sealed = std::make_shared<Signal>(co_await asio::this_coro::executor, 1);
  {
    std::lock_guard lock(receipt->mu);
    receipt->sealed = sealed;
  }
  // The end marker: no devices, this receipt. Behind every chunk of the stream.
  auto marker = std::make_unique<IngestChunk>();
  marker->tenant = std::move(tenant);
  marker->receipt = receipt;
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopped) co_return "the gateway is stopping";
  }
  auto [sent] = co_await impl_->channel.async_send(boost::system::error_code{}, std::move(marker),
                                                   asio::as_tuple(use_awaitable));
  if (sent) co_return "the gateway is stopping";
  auto [woken] = co_await sealed->async_receive(asio::as_tuple(use_awaitable));
  if (woken) co_return "the gateway is stopping";
  std::lock_guard lock(receipt->mu);
  co_return receipt->error;
}

void Ingestor::stop() {
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopped) return;
    impl_->stopped = true;
  }
  asio::co_spawn(
      impl_->writer_ctx,
      [i = impl_]() -> asio::awaitable<void> {
        co_await i->channel.async_send(boost::system::error_code{}, ChunkPtr{},
                                       asio::as_tuple(use_awaitable));
      },
      asio::detached);
  if (impl_->writer.joinable()) impl_->writer.join();
}

IngestCounters Ingestor::counters() const {
  std::lock_guard lock(impl_->mu);
  return impl_->counters;
}

}  // namespace sr::gateway::inventory
