// Gives back the executable's pages that only start-up touched. The agent is
// one static binary (gRPC, protobuf, OpenSSL inside); initialising them and
// the first enrolment fault in several MiB of code that an idle agent never
// runs again. MADV_PAGEOUT on the binary's read-only, file-backed mappings
// drops them from the process; any page still in use faults back in from the
// page cache on its next use. Nothing anonymous or writable is touched.
#pragma once

#include <cstdint>

namespace sr::agent {

struct PageTrim {
  std::uint64_t rss_before_kib = 0, rss_after_kib = 0;
  bool supported = true;  // false: the kernel has no MADV_PAGEOUT (before 5.4)
};

PageTrim release_startup_pages();

}  // namespace sr::agent
