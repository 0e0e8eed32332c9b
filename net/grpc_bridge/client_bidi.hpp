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

namespace detail {

// The core's one write in flight, plus one read in flight.
template <class Request, class Response>
struct BidiReactor final : ClientStreamCore<grpc::ClientBidiReactor<Request, Response>, Request> {
  using ClientStreamCore<grpc::ClientBidiReactor<Request, Response>, Request>::ClientStreamCore;

  template <class Handler>
  void initiate_read(Handler&& handler) {
    std::unique_lock lock(this->mu_);
    if (reading_done_ || read_op_.armed()) {
      lock.unlock();
      PendingOp<bool, Response> refused;
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
  PendingOp<bool, Response> read_op_;
  bool reading_done_ = false;
};

}  // namespace detail

// async_write, async_finish and cancel: see detail::ClientStreamHandle.
template <class Request, class Response>
class ClientBidiStream
    : public detail::ClientStreamHandle<detail::BidiReactor<Request, Response>, Request> {
  using Reactor = detail::BidiReactor<Request, Response>;
  using Handle = detail::ClientStreamHandle<Reactor, Request>;

 public:
  // `start(ctx, reactor)`: normally `stub->async()->ControlStream(ctx, reactor)`.
  template <class Start>
  static ClientBidiStream start(boost::asio::any_io_executor ex, const CallOptions& options,
                                Start&& start_call) {
    return ClientBidiStream(Handle::started(std::move(ex), options, [&](const std::shared_ptr<Reactor>& r) {
      start_call(&r->context(), r.get());
    }));
  }

  // Completion: void(bool ok, Response). ok=false: the server closed its side
  // or the call failed; async_finish tells which.
  template <class CompletionToken>
  auto async_read(CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(bool, Response)>(
        [reactor = this->reactor_](auto handler) { reactor->initiate_read(std::move(handler)); },
        token);
  }

 private:
  explicit ClientBidiStream(std::shared_ptr<Reactor> r) : Handle(std::move(r)) {}
};

}  // namespace sr::grpc_bridge
