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
extern "C" void AnnotateIgnoreWritesBegin(const char* file, int line);
extern "C" void AnnotateIgnoreWritesEnd(const char* file, int line);
inline char tsan_grpc_handoff;  // one address for all handoffs: coarse, and only in TSan builds
inline void handoff_to_grpc() { __tsan_release(&tsan_grpc_handoff); }
inline void handoff_from_grpc() { __tsan_acquire(&tsan_grpc_handoff); }
// While a call starts, gRPC copies the completion callback into its own
// objects (through std::function's manager, which is compiled in our code),
// after handoff_to_grpc(). Those writes are ordered by gRPC before the
// callback runs; they are not recorded, so the callback's read of its own
// captures is not reported. Reads stay checked.
struct GrpcStartScope {
  GrpcStartScope() { AnnotateIgnoreWritesBegin(__FILE__, __LINE__); }
  ~GrpcStartScope() { AnnotateIgnoreWritesEnd(__FILE__, __LINE__); }
  GrpcStartScope(const GrpcStartScope&) = delete;
  GrpcStartScope& operator=(const GrpcStartScope&) = delete;
};
#else
inline void handoff_to_grpc() {}
inline void handoff_from_grpc() {}
struct GrpcStartScope {};
#endif

}  // namespace sr::grpc_bridge::detail
