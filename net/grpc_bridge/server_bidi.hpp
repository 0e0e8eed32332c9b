// Serve a bidirectional method (ControlStream) with a coroutine. One read and
// one write may be in flight together; each completes on the call's strand.
#pragma once

#include "net/grpc_bridge/server_reader.hpp"

#include <boost/asio/async_result.hpp>

#include <memory>
#include <utility>

namespace sr::grpc_bridge {

namespace detail {

template <class Request, class Response>
struct ServerBidiCall final
    : ServerReadSide<ServerCallCore<grpc::ServerBidiReactor<Request, Response>>, Request> {
  using ServerReadSide<ServerCallCore<grpc::ServerBidiReactor<Request, Response>>,
                       Request>::ServerReadSide;

  template <class Handler>
  void initiate_write(Handler&& handler, Response msg) {
    std::unique_lock lock(this->mu_);
    if (write_op_.armed()) {
      lock.unlock();
      PendingOp<bool> refused;
      refused.arm(std::forward<Handler>(handler), this->strand(), [] {});
      refused.complete(false);
      return;
    }
    outgoing_ = std::move(msg);
    write_op_.arm(std::forward<Handler>(handler), this->strand(), this->cancel_fn());
    lock.unlock();
    this->StartWrite(&outgoing_);
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard lock(this->mu_);
    write_op_.complete_if_armed(ok);
  }

 private:
  Response outgoing_;
  PendingOp<bool> write_op_;
};

}  // namespace detail

template <class Request, class Response>
class ServerBidiStream {
 public:
  explicit ServerBidiStream(std::shared_ptr<detail::ServerBidiCall<Request, Response>> call)
      : call_(std::move(call)) {}

  // Completion: void(bool ok, Request). ok=false: the client half-closed or left.
  template <class CompletionToken>
  auto async_read(CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(bool, Request)>(
        [call = call_](auto handler) { call->initiate_read(std::move(handler)); }, token);
  }

  // Completion: void(bool ok). ok=false: the call is over.
  template <class CompletionToken>
  auto async_write(Response msg, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(bool)>(
        [call = call_](auto handler, Response m) {
          call->initiate_write(std::move(handler), std::move(m));
        },
        token, std::move(msg));
  }

  grpc::CallbackServerContext& context() const noexcept { return call_->context(); }

 private:
  std::shared_ptr<detail::ServerBidiCall<Request, Response>> call_;
};

// `make_handler(ServerBidiStream<Request, Response>)` returns awaitable<grpc::Status>.
template <class Request, class Response, class MakeHandler>
grpc::ServerBidiReactor<Request, Response>* serve_bidi(grpc::CallbackServerContext* ctx,
                                                       const boost::asio::any_io_executor& ex,
                                                       MakeHandler&& make_handler) {
  auto call = std::make_shared<detail::ServerBidiCall<Request, Response>>(ctx, ex);
  call->spawn(call, make_handler(ServerBidiStream<Request, Response>(call)));
  return call.get();
}

}  // namespace sr::grpc_bridge
