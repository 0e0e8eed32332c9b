// Serve a unary method with a coroutine on the io_context:
//
//   grpc::ServerUnaryReactor* Hello(grpc::CallbackServerContext* ctx,
//                                   const HelloReq* req, HelloResp* resp) override {
//     return grpc_bridge::serve_unary(ctx, ex_, handle_hello(*ctx, *req, *resp));
//   }
//
// The request and response live until the call is done, so the coroutine may
// refer to them. It is cancelled when the client cancels or the server shuts
// down; what it returns (or throws, as INTERNAL) is the call's status.
#pragma once

#include "net/grpc_bridge/server_call_core.hpp"

namespace sr::grpc_bridge {

namespace detail {
struct ServerUnaryCall final : ServerCallCore<grpc::ServerUnaryReactor> {
  using ServerCallCore::ServerCallCore;
};
}  // namespace detail

inline grpc::ServerUnaryReactor* serve_unary(grpc::CallbackServerContext* ctx,
                                             const boost::asio::any_io_executor& ex,
                                             boost::asio::awaitable<grpc::Status> handler) {
  auto call = std::make_shared<detail::ServerUnaryCall>(ctx, ex);
  call->spawn(call, std::move(handler));
  return call.get();
}

}  // namespace sr::grpc_bridge
