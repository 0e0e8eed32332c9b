// The agent's whole conversation with the gateway in one object: the control
// plane (enrolment, config, heartbeats, ControlStream) and the sender
// (StreamStatus of complete runs) sharing each session's stub and one
// MessageIdentity, with their coroutines started and stopped together.
#pragma once

#include "agent/gateway/agent_identity.hpp"
#include "agent/gateway/control_plane.hpp"
#include "agent/gateway/sender.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/strand.hpp>

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <string>

namespace sr::agent {

struct GatewayLinkOptions {
  BootstrapConfig config;
  AgentIdentity identity;
  std::string version;  // this agent's, as every message says
  PlatformFacts facts;
  ReconnectBackoff backoff;
};

class GatewayLink {
 public:
  using Clock = std::chrono::steady_clock;

  // `configs` and `stats` outlive the link; `on_gateway` hears the gateway's
  // id when a session starts (before the sender does).
  GatewayLink(boost::asio::any_io_executor ex, GatewayLinkOptions options, ConfigApplier& configs,
              sync::SyncStats& stats, std::function<void(const std::string& gateway_id)> on_gateway);

  // A complete run of the sync runtime; from any thread.
  void deliver(std::shared_ptr<sync::CompletedRun> run) { sender_.deliver(std::move(run)); }
  // From any thread: the next session uses `config` (SIGHUP).
  void reconfigure(BootstrapConfig config) {
    sender_.set_compression(stream_compression(config.grpc_compression));
    control_.reconfigure(std::move(config));
  }

  void start();  // spawns the control plane and the sender
  // Lets the stream in flight finish until `deadline`, then cancels it;
  // then leaves the gateway. From outside the pool.
  void stop(Clock::time_point deadline);
  // After stop(): true when both ended by `until`.
  bool wait_until(Clock::time_point until);

  bool ready() const noexcept { return control_.ready(); }
  const ControlPlane& control() const noexcept { return control_; }
  const Sender& sender() const noexcept { return sender_; }

 private:
  MessageIdentity messages_;
  Sender sender_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;  // the control plane's
  ControlPlane control_;
  boost::asio::cancellation_signal stop_control_, stop_sender_;
  std::promise<void> control_ended_, sender_ended_;
  std::future<void> control_done_, sender_done_;
};

}  // namespace sr::agent
