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

#include <boost/asio/async_result.hpp>
#include <grpcpp/support/client_callback.h>

#include <memory>

namespace sr::grpc_bridge {

template <class Request, class Response>
class ClientWriter {
  struct Reactor final : detail::ClientStreamCore<grpc::ClientWriteReactor<Request>, Request> {
    using detail::ClientStreamCore<grpc::ClientWriteReactor<Request>, Request>::ClientStreamCore;
    void OnDone(const grpc::Status& s) override { this->finish_done(s); }
    Response response;
  };

 public:
  // `start(ctx, response, reactor)` hands the reactor to the stub, normally
  // `stub->async()->StreamStatus(ctx, response, reactor)`.
  template <class Start>
  static ClientWriter start(boost::asio::any_io_executor ex, const CallOptions& options,
                            Start&& start_call) {
    auto reactor = std::make_shared<Reactor>(std::move(ex));
    options.apply(reactor->context());
    start_call(&reactor->context(), &reactor->response, reactor.get());
    reactor->start(reactor);
    return ClientWriter(std::move(reactor));
  }

  ClientWriter(ClientWriter&&) noexcept = default;
  ClientWriter& operator=(ClientWriter&& other) noexcept {
    if (this != &other) {
      release();
      reactor_ = std::move(other.reactor_);
    }
    return *this;
  }
  ClientWriter(const ClientWriter&) = delete;
  ClientWriter& operator=(const ClientWriter&) = delete;
  ~ClientWriter() { release(); }

  // Completion: void(bool ok). ok=false: the stream is broken; call
  // async_finish for the reason.
  template <class CompletionToken>
  auto async_write(Request msg, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(bool)>(
        [reactor = reactor_](auto handler, Request m) {
          reactor->initiate_write(std::move(handler), std::move(m));
        },
        token, std::move(msg));
  }

  // Half-closes and completes with the call's status: void(grpc::Status).
  template <class CompletionToken>
  auto async_finish(CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(grpc::Status)>(
        [reactor = reactor_](auto handler) { reactor->initiate_finish(std::move(handler)); },
        token);
  }

  // The server's reply; meaningful once async_finish has completed with OK.
  const Response& response() const noexcept { return reactor_->response; }

  // Best effort, from any thread; pending operations complete with failure.
  void cancel() { reactor_->context().TryCancel(); }

 private:
  explicit ClientWriter(std::shared_ptr<Reactor> r) : reactor_(std::move(r)) {}
  void release() {
    if (reactor_) reactor_->abandon();
  }
  std::shared_ptr<Reactor> reactor_;
};

}  // namespace sr::grpc_bridge
