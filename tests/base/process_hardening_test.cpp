#include "base/process_hardening.hpp"

#include <catch2/catch.hpp>
#include <sys/prctl.h>
#include <sys/resource.h>

using namespace sr::base;

TEST_CASE("SR_ALLOW_CORE_DUMPS reads 1, true or yes in any case, and nothing else", "[base][hardening]") {
  CHECK(core_dumps_allowed("1"));
  CHECK(core_dumps_allowed("true"));
  CHECK(core_dumps_allowed("TRUE"));
  CHECK(core_dumps_allowed("Yes"));
  CHECK_FALSE(core_dumps_allowed(nullptr));
  CHECK_FALSE(core_dumps_allowed(""));
  CHECK_FALSE(core_dumps_allowed("0"));
  CHECK_FALSE(core_dumps_allowed("false"));
  CHECK_FALSE(core_dumps_allowed(" 1"));
  CHECK_FALSE(core_dumps_allowed("enabled"));
}

TEST_CASE("hardening turns core dumps off and raises the open-file limit to the hard one", "[base][hardening]") {
  const auto r = harden_process(false);
  CHECK(r.warnings.empty());
  CHECK(::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0);
  rlimit core{}, files{};
  REQUIRE(::getrlimit(RLIMIT_CORE, &core) == 0);
  CHECK(core.rlim_cur == 0);
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &files) == 0);
  CHECK(files.rlim_cur == files.rlim_max);
  REQUIRE(r.info.size() == 2);
  CHECK(r.info[0].find("core dumps disabled") != std::string::npos);
  CHECK(r.info[1].find("open file limit") != std::string::npos);
}

TEST_CASE("allowed core dumps are kept, with a warning that says why that is dangerous", "[base][hardening]") {
  const auto r = harden_process(true);
  REQUIRE(r.warnings.size() == 1);
  CHECK(r.warnings[0].find("private key") != std::string::npos);
  for (const auto& line : r.info) CHECK(line.find("core dumps disabled") == std::string::npos);
}
