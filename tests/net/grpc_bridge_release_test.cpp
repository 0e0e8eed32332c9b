// gRPC stubs are destroyed on the release thread, never on the caller's
// (a channel's destructor can block a pool thread; release_thread.hpp).
#include "net/grpc_bridge/release_thread.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <memory>
#include <thread>

using sr::net::grpc_bridge::released_off_loop;
using sr::net::grpc_bridge::ReleaseThread;

namespace {

struct Recorder {
  explicit Recorder(std::atomic<std::thread::id>* d) : destroyed_on(d) {}
  Recorder(const Recorder&) = delete;
  std::atomic<std::thread::id>* destroyed_on;
  ~Recorder() { destroyed_on->store(std::this_thread::get_id()); }
};

}  // namespace

TEST_CASE("the last holder's drop destroys on the release thread", "[net][grpc_bridge]") {
  std::atomic<std::thread::id> destroyed_on{};
  {
    ReleaseThread releases;
    auto held = released_off_loop(std::make_unique<Recorder>(&destroyed_on));
    auto second = held;
    held.reset();
    CHECK(destroyed_on.load() == std::thread::id{});  // still held
    second.reset();
  }  // the release thread has drained and joined
  CHECK(destroyed_on.load() != std::thread::id{});
  CHECK(destroyed_on.load() != std::this_thread::get_id());
}

TEST_CASE("without a release thread the drop destroys in place", "[net][grpc_bridge]") {
  std::atomic<std::thread::id> destroyed_on{};
  auto held = released_off_loop(std::make_unique<Recorder>(&destroyed_on));
  held.reset();
  CHECK(destroyed_on.load() == std::this_thread::get_id());
}

TEST_CASE("what is dropped after the release thread stopped is still destroyed", "[net][grpc_bridge]") {
  std::atomic<std::thread::id> destroyed_on{};
  std::shared_ptr<Recorder> held;
  {
    ReleaseThread releases;
    held = released_off_loop(std::make_unique<Recorder>(&destroyed_on));
  }
  held.reset();
  CHECK(destroyed_on.load() == std::this_thread::get_id());
}
