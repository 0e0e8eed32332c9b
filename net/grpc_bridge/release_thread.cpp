#include "net/grpc_bridge/release_thread.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace sr::net::grpc_bridge {

struct ReleaseThread::State {
  std::mutex mu;
  std::condition_variable wake;
  std::deque<std::function<void()>> queue;
  bool stopping = false;
  std::thread thread;

  void run() {
    std::unique_lock lock(mu);
    for (;;) {
      wake.wait(lock, [&] { return stopping || !queue.empty(); });
      if (queue.empty()) return;  // stopping, and everything handed over is gone
      auto destroy = std::move(queue.front());
      queue.pop_front();
      lock.unlock();
      destroy();
      destroy = nullptr;
      lock.lock();
    }
  }
};

namespace {
std::mutex g_current_mu;
ReleaseThread::State* g_current = nullptr;
}  // namespace

ReleaseThread::ReleaseThread() : state_(std::make_unique<State>()) {
  state_->thread = std::thread([s = state_.get()] { s->run(); });
  std::lock_guard lock(g_current_mu);
  g_current = state_.get();
}

ReleaseThread::~ReleaseThread() {
  {
    std::lock_guard lock(g_current_mu);
    if (g_current == state_.get()) g_current = nullptr;
  }
  {
    std::lock_guard lock(state_->mu);
    state_->stopping = true;
  }
  state_->wake.notify_one();
  state_->thread.join();
}

void ReleaseThread::release(std::function<void()> destroy) {
  {
    std::lock_guard current(g_current_mu);
    if (g_current) {
      {
        std::lock_guard lock(g_current->mu);
        g_current->queue.push_back(std::move(destroy));
      }
      g_current->wake.notify_one();
      return;
    }
  }
  destroy();
}

}  // namespace sr::net::grpc_bridge
