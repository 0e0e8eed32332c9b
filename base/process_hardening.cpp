#include "base/process_hardening.hpp"

#include <fmt/format.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <cctype>
#include <cerrno>
#include <cstring>

namespace sr::base {

bool core_dumps_allowed(const char* env_value) {
  if (!env_value) return false;
  std::string v(env_value);
  for (auto& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return v == "1" || v == "true" || v == "yes";
}

void disable_core_dumps(HardeningReport& r) {
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
    r.warnings.push_back(fmt::format("prctl(PR_SET_DUMPABLE, 0) failed: {}", std::strerror(errno)));
  const rlimit none{0, 0};
  if (::setrlimit(RLIMIT_CORE, &none) != 0)
    r.warnings.push_back(fmt::format("setrlimit(RLIMIT_CORE, 0) failed: {}", std::strerror(errno)));
  r.info.push_back("core dumps disabled (SR_ALLOW_CORE_DUMPS=1 keeps them, for debugging only)");
}

void raise_fd_limit(HardeningReport& r) {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) {
    r.warnings.push_back(fmt::format("getrlimit(RLIMIT_NOFILE) failed: {}", std::strerror(errno)));
    return;
  }
  if (lim.rlim_cur == lim.rlim_max) {
    r.info.push_back(fmt::format("open file limit {}", lim.rlim_cur));
    return;
  }
  const auto before = lim.rlim_cur;
  lim.rlim_cur = lim.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) {
    r.warnings.push_back(fmt::format("open file limit stays {}: raising it to {} failed: {}", before,
                                     lim.rlim_max, std::strerror(errno)));
    return;
  }
  r.info.push_back(fmt::format("open file limit raised from {} to {} (the hard limit)", before, lim.rlim_max));
}

HardeningReport harden_process(bool allow_core_dumps) {
  HardeningReport r;
  if (allow_core_dumps)
    r.warnings.push_back("SR_ALLOW_CORE_DUMPS is set: a core dump would hold the private key and "
                         "integration credentials (debugging only)");
  else
    disable_core_dumps(r);
  raise_fd_limit(r);
  return r;
}

}  // namespace sr::base
