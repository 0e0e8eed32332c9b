// co_await a unary gRPC call made through the callback API.
//
//   auto [status, reply] = co_await grpc_bridge::async_unary<HelloReply>(
//       ex, [&](auto*... a) { stub.async()->Hello(a..., ...); }, ...);
//
// See async_unary below for the exact start signature. Everything the call
// needs (context, request, response) is owned by the operation, so nothing
// the caller holds has to outlive it. Cancellation through the handler's
// slot calls ClientContext::TryCancel; the call then ends with CANCELLED,
// delivered as a Status value like every other failure.
#pragma once

#include "net/grpc_bridge/call_options.hpp"
#include "net/grpc_bridge/pending_op.hpp"
#include "net/grpc_bridge/tsan_handoff.hpp"

#include <boost/asio/async_result.hpp>
#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>

#include <functional>
#include <memory>
#include <mutex>

namespace sr::grpc_bridge {

namespace detail {

template <class Request, class Response>
struct UnaryCall {
  explicit UnaryCall(Request r) : request(std::move(r)) {}
  grpc::ClientContext ctx;
  Request request;
  Response response;
  // Orders arm() on the caller's thread before complete() on a gRPC thread in
  // a way ThreadSanitizer sees (gRPC's own ordering is invisible to it).
  std::mutex mu;
  PendingOp<grpc::Status, Response> op;
};

}  // namespace detail

// `start(ctx, request, response, done)` begins the call, normally by calling
// `stub->async()->Method(ctx, request, response, std::move(done))`.
// Completion signature: void(grpc::Status, Response).
template <class Response, class Request, class Start, class CompletionToken>
auto async_unary(const boost::asio::any_io_executor& ex, Start start, Request request,
                 const CallOptions& options, CompletionToken&& token) {
  auto initiation = [](auto handler, boost::asio::any_io_executor ex, Start start,
                       Request request, CallOptions options) {
    using Call = detail::UnaryCall<Request, Response>;
    auto call = std::make_shared<Call>(std::move(request));
    options.apply(call->ctx);
    {
      std::lock_guard lock(call->mu);
      call->op.arm(std::move(handler), ex, [weak = std::weak_ptr<Call>(call)] {
        if (auto c = weak.lock()) c->ctx.TryCancel();
      });
    }
    Call* raw = call.get();
    std::function<void(grpc::Status)> done([call = std::move(call)](grpc::Status status) mutable {
      detail::handoff_from_grpc();
      // This callback holds the only reference to the call; hand it to the
      // completion so the context (and maybe the channel) dies on the
      // handler's executor, not inside gRPC's callback.
      std::shared_ptr<Call> keep = std::move(call);
      typename decltype(keep->op)::Taken completion = [&] {
        std::lock_guard lock(keep->mu);
        return keep->op.take();
      }();
      Response response = std::move(keep->response);
      completion.post(std::move(status), std::move(response), std::move(keep));
    });
    detail::handoff_to_grpc();
    [[maybe_unused]] detail::GrpcStartScope starting;
    start(&raw->ctx, &raw->request, &raw->response, std::move(done));
  };
  return boost::asio::async_initiate<CompletionToken, void(grpc::Status, Response)>(
      initiation, token, ex, std::move(start), std::move(request), options);
}

}  // namespace sr::grpc_bridge
