// The agent's event loop: one io_context run by a small fixed pool of threads.
#pragma once

#include <boost/asio/io_context.hpp>

#include <thread>
#include <vector>

namespace sr::net {

class IoPool {
 public:
  explicit IoPool(unsigned threads);
  IoPool(const IoPool&) = delete;
  IoPool& operator=(const IoPool&) = delete;
  ~IoPool();  // joins; call stop() first to abandon pending work

  boost::asio::io_context& context() noexcept { return ioc_; }
  boost::asio::io_context::executor_type executor() noexcept { return ioc_.get_executor(); }

  // Starts the threads. They return when the io_context runs out of work.
  void start();
  // Waits for the threads. Safe to call more than once.
  void join();
  void stop() { ioc_.stop(); }

 private:
  boost::asio::io_context ioc_;
  unsigned threads_;
  std::vector<std::thread> workers_;
};

}  // namespace sr::net
