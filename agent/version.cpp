#include "agent/version.hpp"

#include <boost/version.hpp>
#include <fmt/format.h>
#include <google/protobuf/stubs/common.h>
#include <grpcpp/grpcpp.h>
#include <openssl/crypto.h>

namespace sr::agent {

std::string version() { return SR_AGENT_VERSION; }

std::string version_report() {
  return fmt::format(
      "serviceradar-agent {}\n"
      "  gRPC      {}\n"
      "  protobuf  {}\n"
      "  OpenSSL   {}\n"
      "  Boost     {}.{}.{}\n",
      version(), grpc::Version(),
      google::protobuf::internal::VersionString(GOOGLE_PROTOBUF_VERSION),
      OpenSSL_version(OPENSSL_VERSION), BOOST_VERSION / 100000, BOOST_VERSION / 100 % 1000,
      BOOST_VERSION % 100);
}

}  // namespace sr::agent
