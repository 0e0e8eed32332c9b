// What the client-streaming writer and the bidi stream share: the context,
// one write in flight at a time, the hold that keeps OnDone from running
// while our coroutine still means to start operations, and the final status
// (ClientStreamCore, the reactor side); the owning handle with its write,
// finish and cancel (ClientStreamHandle, the coroutine side).
//
// Reactions run on gRPC threads; coroutine-facing calls run on the io_context.
// A mutex guards the small shared state and is never held across a Start*
// call, since a reaction may run inside it.
#pragma once

#include "net/grpc_bridge/call_options.hpp"
#include "net/grpc_bridge/pending_op.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>

#include <memory>
#include <optional>
#include <mutex>

namespace sr::grpc_bridge::detail {

template <class ReactorBase, class Request>
class ClientStreamCore : public ReactorBase {
 public:
  explicit ClientStreamCore(boost::asio::any_io_executor ex) : ex_(std::move(ex)) {}

  grpc::ClientContext& context() noexcept { return ctx_; }

  // Called once, right after the stub has been given this reactor.
  void start(std::shared_ptr<ClientStreamCore> self) {
    {
      std::lock_guard lock(mu_);  // orders self_ for ThreadSanitizer too
      self_ = std::move(self);
      // The io_context keeps running until OnDone has handed the reactor
      // back to it: a pool cannot be joined under a live call.
      work_ = boost::asio::prefer(ex_, boost::asio::execution::outstanding_work.tracked);
    }
    this->AddHold();  // released by finish() or abandon()
    this->StartCall();
  }

  template <class Handler>
  void initiate_write(Handler&& handler, Request msg) {
    std::unique_lock lock(mu_);
    if (done_ || write_op_.armed() || writes_done_) {
      lock.unlock();
      PendingOp<bool> refused;
      refused.arm(std::forward<Handler>(handler), ex_, [] {});
      refused.complete(false);
      return;
    }
    outgoing_ = std::move(msg);
    write_op_.arm(std::forward<Handler>(handler), ex_, cancel_fn());
    lock.unlock();
    this->StartWrite(&outgoing_);
  }

  // Half-close, release the hold, and complete with the call's final status.
  template <class Handler>
  void initiate_finish(Handler&& handler) {
    std::unique_lock lock(mu_);
    final_op_.arm(std::forward<Handler>(handler), ex_, cancel_fn());
    const bool send_writes_done = !writes_done_ && !done_;
    writes_done_ = true;
    const bool release = take_hold_locked();
    if (done_) final_op_.complete(status_);
    lock.unlock();
    if (send_writes_done) this->StartWritesDone();
    if (release) this->RemoveHold();
  }

  // The owner went away without finishing: cancel and let OnDone clean up.
  void abandon() {
    std::unique_lock lock(mu_);
    const bool release = take_hold_locked();
    lock.unlock();
    if (release) {
      ctx_.TryCancel();
      this->RemoveHold();
    }
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard lock(mu_);
    write_op_.complete_if_armed(ok);
  }

  void OnWritesDoneDone(bool /*ok*/) override {}

 protected:
  auto cancel_fn() {
    return [weak = std::weak_ptr<ClientStreamCore>(self_)] {
      if (auto self = weak.lock()) self->ctx_.TryCancel();
    };
  }

  // Runs last. The reactor (with its ClientContext, which may hold the
  // channel's last reference) is released on the executor, never inside
  // gRPC's callback: destroying a channel there can trip gRPC 1.51.
  void finish_done(const grpc::Status& status) {
    std::shared_ptr<ClientStreamCore> self;
    // Constructed in place: Boost 1.81's any_completion_handler must not be
    // move-assigned (see PendingOp::arm).
    std::optional<typename PendingOp<grpc::Status>::Taken> final_op;
    boost::asio::any_io_executor work;
    {
      std::lock_guard lock(mu_);
      done_ = true;
      status_ = status;
      if (final_op_.armed()) final_op.emplace(final_op_.take());
      self = std::move(self_);
      work = std::move(work_);
    }
    if (final_op) {
      final_op->post(status, std::make_pair(std::move(self), std::move(work)));
    } else {
      boost::asio::post(work, [self = std::move(self), work] {});
    }
  }

  std::mutex mu_;
  boost::asio::any_io_executor ex_;
  boost::asio::any_io_executor work_;  // tracked from start() to OnDone
  grpc::ClientContext ctx_;

 private:
  bool take_hold_locked() {
    if (hold_released_) return false;
    hold_released_ = true;
    return true;
  }

  std::shared_ptr<ClientStreamCore> self_;  // alive until OnDone
  Request outgoing_;  // gRPC reads it until OnWriteDone
  PendingOp<bool> write_op_;
  PendingOp<grpc::Status> final_op_;
  grpc::Status status_;
  bool writes_done_ = false;
  bool hold_released_ = false;
  bool done_ = false;
};

// The coroutine-facing owner of a reactor derived from ClientStreamCore:
// move-only; dropping it without finishing cancels the call.
template <class Reactor, class Request>
class ClientStreamHandle {
 public:
  ClientStreamHandle(ClientStreamHandle&&) noexcept = default;
  ClientStreamHandle& operator=(ClientStreamHandle&& other) noexcept {
    if (this != &other) {
      release();
      reactor_ = std::move(other.reactor_);
    }
    return *this;
  }
  ClientStreamHandle(const ClientStreamHandle&) = delete;
  ClientStreamHandle& operator=(const ClientStreamHandle&) = delete;
  ~ClientStreamHandle() { release(); }

  // Completion: void(bool ok). ok=false: the stream is broken (or a write is
  // already in flight, or finish was called); async_finish tells why.
  template <class CompletionToken>
  auto async_write(Request msg, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(bool)>(
        [reactor = reactor_](auto handler, Request m) {
          reactor->initiate_write(std::move(handler), std::move(m));
        },
        token, std::move(msg));
  }

  // Half-closes our side and waits for the server to end the call:
  // void(grpc::Status). Cancel first to stop waiting for the server.
  template <class CompletionToken>
  auto async_finish(CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(grpc::Status)>(
        [reactor = reactor_](auto handler) { reactor->initiate_finish(std::move(handler)); },
        token);
  }

  // Best effort, from any thread; pending operations complete with failure.
  void cancel() { reactor_->context().TryCancel(); }

 protected:
  // Hands the started reactor over: `start_call(ctx, reactor)` gives it to the stub.
  template <class Start>
  static std::shared_ptr<Reactor> started(boost::asio::any_io_executor ex, const CallOptions& options,
                                          Start&& start_call) {
    auto reactor = std::make_shared<Reactor>(std::move(ex));
    options.apply(reactor->context());
    start_call(reactor);
    reactor->start(reactor);
    return reactor;
  }

  explicit ClientStreamHandle(std::shared_ptr<Reactor> r) : reactor_(std::move(r)) {}
  std::shared_ptr<Reactor> reactor_;

 private:
  void release() {
    if (reactor_) reactor_->abandon();
  }
};

}  // namespace sr::grpc_bridge::detail
