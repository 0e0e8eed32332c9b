#include "net/io_pool.hpp"

#include <algorithm>

namespace sr::net {

IoPool::IoPool(unsigned threads)
    : ioc_(static_cast<int>(std::max(1u, threads))), threads_(std::max(1u, threads)) {}

IoPool::~IoPool() { join(); }

void IoPool::start() {
  workers_.reserve(threads_);
  for (unsigned i = 0; i < threads_; ++i) workers_.emplace_back([this] { ioc_.run(); });
}

void IoPool::join() {
  for (auto& t : workers_)
    if (t.joinable()) t.join();
  workers_.clear();
}

}  // namespace sr::net
