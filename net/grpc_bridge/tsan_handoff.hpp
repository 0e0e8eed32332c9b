// ThreadSanitizer cannot see gRPC's own synchronisation (Debian's gRPC is not
// instrumented), so what a call hands to gRPC looks racy when gRPC hands it
// back on another thread. These annotations state gRPC's guarantee, that
// everything before starting an operation happens before its callback. They
// compile to nothing outside TSan builds.
#pragma once

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#endif

namespace sr::grpc_bridge::detail {

#if defined(__SANITIZE_THREAD__)
inline char tsan_grpc_handoff;  // one address for all handoffs: coarse, and only in TSan builds
inline void handoff_to_grpc() { __tsan_release(&tsan_grpc_handoff); }
inline void handoff_from_grpc() { __tsan_acquire(&tsan_grpc_handoff); }
#else
inline void handoff_to_grpc() {}
inline void handoff_from_grpc() {}
#endif

}  // namespace sr::grpc_bridge::detail
