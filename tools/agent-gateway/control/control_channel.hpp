// What a ControlStream's push loop has to send: the newest config when one is
// due, then the queued commands in order. The wake channel has capacity 1:
// one pending wake-up is enough, the loop takes everything due when it runs.
#pragma once

#include "monitoring.pb.h"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>

#include <cstddef>
#include <deque>
#include <mutex>
#include <utility>

namespace sr::gateway {

struct ControlChannel {
  static constexpr std::size_t kMaxQueuedCommands = 64;

  explicit ControlChannel(const boost::asio::any_io_executor& ex) : wake(ex, 1) {}

  void config_due() {
    {
      std::lock_guard lock(mu);
      config_pending = true;
    }
    wake.try_send(boost::system::error_code{});
  }
  bool queue_command(monitoring::CommandRequest command) {
    {
      std::lock_guard lock(mu);
      if (commands.size() >= kMaxQueuedCommands) return false;
      commands.push_back(std::move(command));
    }
    wake.try_send(boost::system::error_code{});
    return true;
  }
  struct Due {
    bool config = false;
    std::deque<monitoring::CommandRequest> commands;
  };
  Due take_due() {
    std::lock_guard lock(mu);
    Due due{std::exchange(config_pending, false), std::move(commands)};
    commands.clear();
    return due;
  }

  std::mutex mu;
  bool config_pending = false;
  std::deque<monitoring::CommandRequest> commands;
  boost::asio::experimental::concurrent_channel<void(boost::system::error_code)> wake;
};

}  // namespace sr::gateway
