// Where gRPC stubs and channels are destroyed: not on a pool thread.
//
// gRPC 1.51's grpc::Channel destructor can block for ~100 ms: when the last
// channel using the shared callback completion queue goes, it joins that
// queue's poller threads (CompletionQueue::ReleaseCallbackAlternativeCQ).
// Found by net/handler_timing in tools/soak: each gateway reconnect held a
// pool thread 46-94 ms. A stub made by released_off_loop() is destroyed on the
// release thread instead, whichever holder drops it last.
//
//   sr::net::grpc_bridge::ReleaseThread releases;  // in main, before the pool
//   std::shared_ptr<Stub> stub = released_off_loop(Service::NewStub(channel));
#pragma once

#include <functional>
#include <memory>

namespace sr::net::grpc_bridge {

class ReleaseThread {
 public:
  ReleaseThread();   // becomes the process's release thread
  ~ReleaseThread();  // destroys what is still queued, then joins
  ReleaseThread(const ReleaseThread&) = delete;
  ReleaseThread& operator=(const ReleaseThread&) = delete;

  // Runs `destroy` on the release thread; inline when there is none (tests,
  // tools), and after the release thread has stopped.
  static void release(std::function<void()> destroy);

  struct State;  // the queue and its thread (release_thread.cpp)

 private:
  std::unique_ptr<State> state_;
};

template <class T>
std::shared_ptr<T> released_off_loop(std::unique_ptr<T> p) {
  return std::shared_ptr<T>(p.release(), [](T* t) { ReleaseThread::release([t] { delete t; }); });
}

}  // namespace sr::net::grpc_bridge
