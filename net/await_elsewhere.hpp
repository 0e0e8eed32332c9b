// Awaiting a coroutine that runs on another strand, with the awaiting
// coroutine's cancellation forwarded to it.
//
// Boost 1.81's co_spawn(ex, work, use_awaitable) does the same, but keeps the
// child's cancellation signal inside the parent's cancellation slot and
// emits it through a raw pointer posted to the child's executor: when the
// child ends before that post runs, the slot is gone and the emit touches
// freed memory (seen as a crash when a source was removed just as its run's
// producer finished). Here the signal is shared by the forwarder and the
// child, so a late emit finds it alive and does nothing.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>

namespace sr::net {

// `strand` must serialise the child: the signal is emitted there.
template <class T>
boost::asio::awaitable<T> await_elsewhere(boost::asio::any_io_executor strand, boost::asio::awaitable<T> work) {
  namespace asio = boost::asio;
  auto signal = std::make_shared<asio::cancellation_signal>();
  asio::cancellation_state state = co_await asio::this_coro::cancellation_state;
  auto slot = state.slot();
  if (slot.is_connected())
    slot.assign([signal, strand](asio::cancellation_type type) {
      asio::post(strand, [signal, type] { signal->emit(type); });
    });
  struct ClearSlot {
    asio::cancellation_slot slot;
    ~ClearSlot() {
      if (slot.is_connected()) slot.clear();
    }
  } clear{slot};
  co_return co_await asio::co_spawn(strand, std::move(work),
                                    asio::bind_cancellation_slot(signal->slot(), asio::use_awaitable));
}

}  // namespace sr::net
