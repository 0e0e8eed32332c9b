// One asynchronous operation whose completion is reported on a gRPC thread.
//
// gRPC runs callbacks and reactions on its own threads. A PendingOp keeps the
// awaiting handler, keeps its io_context from running out of work, and posts
// the completion back to the handler's executor: a coroutine is never resumed
// inline on a gRPC thread, and a reaction returns to gRPC at once.
#pragma once

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>

#include <tuple>
#include <utility>

namespace sr::grpc_bridge::detail {

namespace asio = boost::asio;

template <class... Args>
class PendingOp {
 public:
  using Handler = asio::any_completion_handler<void(Args...)>;

  PendingOp() = default;
  PendingOp(const PendingOp&) = delete;
  PendingOp& operator=(const PendingOp&) = delete;

  [[nodiscard]] bool armed() const noexcept { return static_cast<bool>(handler_); }

  // On the initiating thread. `on_cancel` runs if the handler's cancellation
  // slot is emitted while the operation is pending; it must be thread-safe
  // with respect to the gRPC side (ClientContext::TryCancel is).
  template <class H, class OnCancel>
  void arm(H&& handler, const asio::any_io_executor& fallback, OnCancel on_cancel) {
    work_ = asio::prefer(asio::get_associated_executor(handler, fallback),
                         asio::execution::outstanding_work.tracked);
    // Boost 1.81's any_completion_handler move-assignment recurses without
    // end (it re-wraps itself); construct and swap instead.
    Handler(std::forward<H>(handler)).swap(handler_);
    // The wrapper installs its own cancellation state on the handler's slot;
    // our hook goes on the wrapper's slot, which that state forwards to.
    auto slot = handler_.get_cancellation_slot();
    if (slot.is_connected()) {
      slot.assign([on_cancel = std::move(on_cancel)](asio::cancellation_type type) {
        if (type != asio::cancellation_type::none) on_cancel();
      });
    }
  }

  // From any thread, once. The slot is cleared on the handler's own executor,
  // where it is also emitted, so clearing never races an emit.
  void complete(Args... args) { take().post(std::move(args)...); }

  // The armed handler, taken out (the op is disarmed): post it later, e.g.
  // after releasing a lock that guards this op's owner.
  struct Taken {
    Handler handler;
    asio::any_io_executor work;

    // `keep_alive` is released on the handler's executor after the handler
    // ran, so whatever it owns (a ClientContext, its Channel) is never
    // destroyed on a gRPC thread inside a gRPC callback.
    template <class KeepAlive = std::nullptr_t>
    void post(Args... args, KeepAlive keep_alive = nullptr) {
      asio::any_io_executor ex = std::move(work);
      asio::post(ex, [handler = std::move(handler), keep = std::move(keep_alive),
                      args = std::make_tuple(std::move(args)...)]() mutable {
        asio::get_associated_cancellation_slot(handler).clear();
        std::apply(std::move(handler), std::move(args));
      });
    }
  };
  Taken take() {
    Taken t{Handler(std::move(handler_)), std::move(work_)};  // leaves handler_ empty
    return t;
  }

  // Completes now if armed; leaves the op disarmed either way.
  void complete_if_armed(Args... args) {
    if (armed()) complete(std::move(args)...);
  }

 private:
  Handler handler_;
  asio::any_io_executor work_;
};

}  // namespace sr::grpc_bridge::detail
