// A client-streaming call (StreamStatus) as a coroutine-friendly object.
//
//   auto w = ClientWriter<Chunk, Reply>::start(ex, opts, [&](auto* ctx, auto* reply, auto* reactor) {
//     stub.async()->StreamStatus(ctx, reply, reactor); });
//   bool ok = co_await w.async_write(chunk, use_awaitable);  // resumes on OnWriteDone
//   grpc::Status st = co_await w.async_finish(use_awaitable);
//
// async_write completes only when gRPC has handed the message to the
// transport, so a slow server (HTTP/2 flow control) slows the writer: this is
// the agent's backpressure point. One write may be in flight at a time; a
// second concurrent write, or a write after finish, completes with false.
// Dropping the writer without finishing cancels the call.
#pragma once

#include "net/grpc_bridge/client_stream_core.hpp"

#include <grpcpp/support/client_callback.h>

#include <memory>

namespace sr::grpc_bridge {

namespace detail {

template <class Request, class Response>
struct WriterReactor final : ClientStreamCore<grpc::ClientWriteReactor<Request>, Request> {
  using ClientStreamCore<grpc::ClientWriteReactor<Request>, Request>::ClientStreamCore;
  void OnDone(const grpc::Status& s) override { this->finish_done(s); }
  Response response;
};

}  // namespace detail

// async_write, async_finish and cancel: see detail::ClientStreamHandle.
template <class Request, class Response>
class ClientWriter : public detail::ClientStreamHandle<detail::WriterReactor<Request, Response>, Request> {
  using Reactor = detail::WriterReactor<Request, Response>;
  using Handle = detail::ClientStreamHandle<Reactor, Request>;

 public:
  // `start(ctx, response, reactor)` hands the reactor to the stub, normally
  // `stub->async()->StreamStatus(ctx, response, reactor)`.
  template <class Start>
  static ClientWriter start(boost::asio::any_io_executor ex, const CallOptions& options,
                            Start&& start_call) {
    return ClientWriter(Handle::started(std::move(ex), options, [&](const std::shared_ptr<Reactor>& r) {
      start_call(&r->context(), &r->response, r.get());
    }));
  }

  // The server's reply; meaningful once async_finish has completed with OK.
  const Response& response() const noexcept { return this->reactor_->response; }

 private:
  explicit ClientWriter(std::shared_ptr<Reactor> r) : Handle(std::move(r)) {}
};

}  // namespace sr::grpc_bridge
