#include "agent/gateway/gateway_link.hpp"

#include "base/log/logger.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>

namespace sr::agent {

namespace asio = boost::asio;

namespace {

ControlHooks link_hooks(Sender& sender, sync::SyncStats& stats,
                        std::function<void(const std::string&)> on_gateway) {
  ControlHooks hooks;
  hooks.session = [&sender, on_gateway = std::move(on_gateway)](auto stub, const std::string& gateway_id) {
    if (stub && on_gateway) on_gateway(gateway_id);
    sender.set_link(std::move(stub), gateway_id);
  };
  hooks.status_json = [&stats] { return stats.status_json(); };
  return hooks;
}

}  // namespace

GatewayLink::GatewayLink(asio::any_io_executor ex, GatewayLinkOptions o, ConfigApplier& configs,
                         sync::SyncStats& stats, std::function<void(const std::string&)> on_gateway)
    : messages_(o.identity, o.version, o.facts, o.config.sync_runtime_enabled),
      sender_(ex, messages_, stats, {}, stream_compression(o.config.grpc_compression)),
      strand_(asio::make_strand(ex)),
      control_(strand_, std::move(o.config), messages_, configs, o.backoff,
               link_hooks(sender_, stats, std::move(on_gateway))),
      control_done_(control_ended_.get_future()),
      sender_done_(sender_ended_.get_future()) {}

void GatewayLink::start() {
  asio::co_spawn(strand_, control_.run(),
                 asio::bind_cancellation_slot(stop_control_.slot(), [this](std::exception_ptr) {
                   control_ended_.set_value();
                 }));
  asio::co_spawn(sender_.executor(), sender_.run(),
                 asio::bind_cancellation_slot(stop_sender_.slot(), [this](std::exception_ptr e) {
                   if (e) log::error("sync", "sender ended by an exception");
                   sender_ended_.set_value();
                 }));
}

void GatewayLink::stop(Clock::time_point deadline) {
  sender_.drain();
  if (sender_done_.wait_until(deadline) != std::future_status::ready) {
    log::warn("sync", "grace period over: cancelling the stream in flight");
    asio::post(sender_.executor(), [this] { stop_sender_.emit(asio::cancellation_type::terminal); });
  }
  asio::post(strand_, [this] { stop_control_.emit(asio::cancellation_type::terminal); });
}

bool GatewayLink::wait_until(Clock::time_point until) {
  return control_done_.wait_until(until) == std::future_status::ready &&
         sender_done_.wait_until(until) == std::future_status::ready;
}

}  // namespace sr::agent
