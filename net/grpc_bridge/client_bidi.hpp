// A bidirectional stream (ControlStream) as a coroutine-friendly object.
// One read and one write may be in flight at the same time (gRPC's rule);
// reads and writes complete on the awaiting coroutine's executor.
//
//   auto s = ClientBidiStream<Req, Resp>::start(ex, opts, [&](auto* ctx, auto* reactor) {
//     stub.async()->ControlStream(ctx, reactor); });
//   co_await s.async_write(hello, use_awaitable);
//   auto [ok, msg] = co_await s.async_read(use_awaitable);  // ok=false: no more messages
//   grpc::Status st = co_await s.async_finish(use_awaitable);
#pragma once

#include "net/grpc_bridge/client_stream_core.hpp"

#include <boost/asio/async_result.hpp>
#include <grpcpp/support/client_callback.h>

#include <memory>

namespace sr::grpc_bridge {

template <class Request, class Response>
class ClientBidiStream {
  using Core = detail::ClientStreamCore<grpc::ClientBidiReactor<Request, Response>, Request>;

  struct Reactor final : Core {
    using Core::Core;

    template <class Handler>
    void initiate_read(Handler&& handler) {
      std::unique_lock lock(this->mu_);
      if (reading_done_ || read_op_.armed()) {
        lock.unlock();
        detail::PendingOp<bool, Response> refused;
        refused.arm(std::forward<Handler>(handler), this->ex_, [] {});
        refused.complete(false, Response{});
        return;
      }
      read_op_.arm(std::forward<Handler>(handler), this->ex_, this->cancel_fn());
      lock.unlock();
      this->StartRead(&incoming_);
    }

    void OnReadDone(bool ok) override {
      std::lock_guard lock(this->mu_);
      if (!ok) reading_done_ = true;
      read_op_.complete_if_armed(ok, ok ? std::move(incoming_) : Response{});
    }

    void OnDone(const grpc::Status& s) override { this->finish_done(s); }

   private:
    Response incoming_;  // gRPC fills it until OnReadDone
    detail::PendingOp<bool, Response> read_op_;
    bool reading_done_ = false;
  };

 public:
  // `start(ctx, reactor)`: normally `stub->async()->ControlStream(ctx, reactor)`.
  template <class Start>
  static ClientBidiStream start(boost::asio::any_io_executor ex, const CallOptions& options,
                                Start&& start_call) {
    auto reactor = std::make_shared<Reactor>(std::move(ex));
    options.apply(reactor->context());
    start_call(&reactor->context(), reactor.get());
    reactor->start(reactor);
    return ClientBidiStream(std::move(reactor));
  }

  ClientBidiStream(ClientBidiStream&&) noexcept = default;
  ClientBidiStream& operator=(ClientBidiStream&& other) noexcept {
    if (this != &other) {
      release();
      reactor_ = std::move(other.reactor_);
    }
    return *this;
  }
  ClientBidiStream(const ClientBidiStream&) = delete;
  ClientBidiStream& operator=(const ClientBidiStream&) = delete;
  ~ClientBidiStream() { release(); }

  // Completion: void(bool ok, Response). ok=false: the server closed its side
  // or the call failed; async_finish tells which.
  template <class CompletionToken>
  auto async_read(CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(bool, Response)>(
        [reactor = reactor_](auto handler) { reactor->initiate_read(std::move(handler)); },
        token);
  }

  // Completion: void(bool ok).
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

  void cancel() { reactor_->context().TryCancel(); }

 private:
  explicit ClientBidiStream(std::shared_ptr<Reactor> r) : reactor_(std::move(r)) {}
  void release() {
    if (reactor_) reactor_->abandon();
  }
  std::shared_ptr<Reactor> reactor_;
};

}  // namespace sr::grpc_bridge
