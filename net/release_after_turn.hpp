// co_spawn clears the cancellation slot it was bound to after its completion
// handler has returned, still in the same strand turn. So the object that
// owns that slot's signal (an HTTP session, a sync runner) must outlive the
// turn, not just the handler: freeing it inside the handler is a
// use-after-free that ASan sees only under load, when the handler happens to
// hold the last reference. This posts the reference to the strand, behind
// the turn that is running now; posted work also keeps the pool running
// until it is done.
#pragma once

#include <boost/asio/post.hpp>

#include <memory>

namespace sr::net {

template <class Strand, class T>
void release_after_turn(const Strand& strand, std::shared_ptr<T> owner) {
  boost::asio::post(strand, [owner = std::move(owner)]() mutable { owner.reset(); });
}

}  // namespace sr::net
