// What every server-side reactor shares: the handler runs as a coroutine on a
// strand of its own, gRPC's OnCancel (client went away, deadline, server
// shutdown) becomes an asio cancellation of that coroutine, and the
// coroutine's result (or exception) becomes Finish(status).
#pragma once

#include "net/grpc_bridge/pending_op.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/strand.hpp>
#include <grpcpp/support/server_callback.h>
#include <grpcpp/support/status.h>

#include <exception>
#include <memory>
#include <mutex>
#include <string>

namespace sr::grpc_bridge::detail {

inline grpc::Status status_from_exception(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return {grpc::StatusCode::INTERNAL, std::string("handler failed: ") + ex.what()};
  } catch (...) {
    return {grpc::StatusCode::INTERNAL, "handler failed"};
  }
}

template <class ReactorBase>
class ServerCallCore : public ReactorBase {
 public:
  using Strand = boost::asio::strand<boost::asio::any_io_executor>;

  ServerCallCore(grpc::CallbackServerContext* ctx, const boost::asio::any_io_executor& ex)
      : ctx_(ctx), strand_(boost::asio::make_strand(ex)) {}

  grpc::CallbackServerContext& context() noexcept { return *ctx_; }
  const Strand& strand() const noexcept { return strand_; }

  // Before the reactor is returned to gRPC: every reaction may assume self_.
  // self_ is only touched under mu_: gRPC's own synchronisation between its
  // threads is invisible to ThreadSanitizer, ours is not.
  void spawn(std::shared_ptr<ServerCallCore> self, boost::asio::awaitable<grpc::Status> handler) {
    {
      std::lock_guard lock(mu_);
      self_ = self;
    }
    boost::asio::co_spawn(
        strand_, std::move(handler),
        boost::asio::bind_cancellation_slot(
            signal_.slot(), [self = std::move(self)](std::exception_ptr e, grpc::Status s) {
              self->Finish(e ? status_from_exception(e) : std::move(s));
            }));
  }

  void OnCancel() override {
    std::shared_ptr<ServerCallCore> self;
    {
      std::lock_guard lock(mu_);
      self = self_;
    }
    boost::asio::post(strand_, [self = std::move(self)] {
      self->signal_.emit(boost::asio::cancellation_type::all);
    });
  }

  void OnDone() override {
    std::shared_ptr<ServerCallCore> self;
    std::lock_guard lock(mu_);
    self = std::move(self_);  // may destroy this once the lock is gone
  }

 protected:
  auto cancel_fn() {
    return [ctx = ctx_] { ctx->TryCancel(); };
  }

  std::mutex mu_;
  grpc::CallbackServerContext* ctx_;
  Strand strand_;

 private:
  boost::asio::cancellation_signal signal_;  // touched on strand_ only
  std::shared_ptr<ServerCallCore> self_;     // alive until OnDone
};

}  // namespace sr::grpc_bridge::detail
