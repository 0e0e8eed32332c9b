// Serve a client-streaming method (StreamStatus) with a coroutine that reads
// one message at a time. The next message is requested from gRPC only when
// the coroutine asks for it, so a slow consumer slows the client through
// HTTP/2 flow control instead of buffering the stream in memory.
//
//   return grpc_bridge::serve_client_stream<Chunk>(ctx, ex_,
//       [this, resp](auto reader) { return read_chunks(this, std::move(reader), resp); });
//
// where read_chunks is a coroutine taking its arguments by value (a
// capturing lambda coroutine would outlive its captures):
//
//   asio::awaitable<grpc::Status> read_chunks(Svc*, ServerReader<Chunk> in, Reply*) {
//     for (;;) {
//       auto [ok, chunk] = co_await in.async_read(asio::use_awaitable);
//       if (!ok) break;  // client half-closed (or the call ended)
//       ...
//     }
//     co_return grpc::Status::OK;
//   }
#pragma once

#include "net/grpc_bridge/server_call_core.hpp"

#include <boost/asio/async_result.hpp>

#include <memory>
#include <utility>

namespace sr::grpc_bridge {

namespace detail {

// Read half shared by the reader and bidi reactors.
template <class Base, class Request>
struct ServerReadSide : Base {
  using Base::Base;

  template <class Handler>
  void initiate_read(Handler&& handler) {
    std::unique_lock lock(this->mu_);
    if (reading_done_ || read_op_.armed()) {
      lock.unlock();
      PendingOp<bool, Request> refused;
      refused.arm(std::forward<Handler>(handler), this->strand(), [] {});
      refused.complete(false, Request{});
      return;
    }
    read_op_.arm(std::forward<Handler>(handler), this->strand(), this->cancel_fn());
    lock.unlock();
    this->StartRead(&incoming_);
  }

  void OnReadDone(bool ok) override {
    std::lock_guard lock(this->mu_);
    if (!ok) reading_done_ = true;
    read_op_.complete_if_armed(ok, ok ? std::move(incoming_) : Request{});
  }

 private:
  Request incoming_;
  PendingOp<bool, Request> read_op_;
  bool reading_done_ = false;
};

template <class Request>
struct ServerReaderCall final
    : ServerReadSide<ServerCallCore<grpc::ServerReadReactor<Request>>, Request> {
  using ServerReadSide<ServerCallCore<grpc::ServerReadReactor<Request>>, Request>::ServerReadSide;
};

}  // namespace detail

template <class Request>
class ServerReader {
 public:
  explicit ServerReader(std::shared_ptr<detail::ServerReaderCall<Request>> call)
      : call_(std::move(call)) {}

  // Completion: void(bool ok, Request). ok=false: no more messages.
  template <class CompletionToken>
  auto async_read(CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(bool, Request)>(
        [call = call_](auto handler) { call->initiate_read(std::move(handler)); }, token);
  }

  grpc::CallbackServerContext& context() const noexcept { return call_->context(); }

 private:
  std::shared_ptr<detail::ServerReaderCall<Request>> call_;
};

// `make_handler(ServerReader<Request>)` returns asio::awaitable<grpc::Status>.
template <class Request, class MakeHandler>
grpc::ServerReadReactor<Request>* serve_client_stream(grpc::CallbackServerContext* ctx,
                                                      const boost::asio::any_io_executor& ex,
                                                      MakeHandler&& make_handler) {
  auto call = std::make_shared<detail::ServerReaderCall<Request>>(ctx, ex);
  call->spawn(call, make_handler(ServerReader<Request>(call)));
  return call.get();
}

}  // namespace sr::grpc_bridge
