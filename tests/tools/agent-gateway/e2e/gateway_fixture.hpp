// A real agent-gateway process on loopback (port 0), with the test PKI, a
// temporary config store and sink, and helpers to call it as agents do: a
// grpc C++ client over mTLS with a given certificate, and GET on its status
// endpoint.
#pragma once

#include "monitoring.grpc.pb.h"
#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace sr::test {

// Paths of a client certificate in the test PKI (tools/gen-certs layout).
struct ClientCert {
  std::filesystem::path chain, key;
};
ClientCert agent_cert(const std::string& agent_id);      // agents/<id>.pem
ClientCert test_cert(const std::string& name);           // test/<name>.pem

struct GatewayFixtureOptions {
  std::vector<std::pair<std::string, std::string>> stores;  // tenant, json: written before start
  std::string listen = "127.0.0.1:0";  // a fixed port to stand in for a restarted gateway
  std::vector<std::string> extra_args;
  std::vector<std::string> extra_env;
  std::string admin_token;  // non-empty: written to a file, passed as --admin-token-file
  bool raw_record = true;   // --sink-dir: the NDJSON record tests compare byte for byte
};

class GatewayFixture {
 public:
  explicit GatewayFixture(GatewayFixtureOptions options = {});
  ~GatewayFixture();

  // Writes <config>/<tenant>.json atomically (rename), as an operator's edit.
  void write_store(const std::string& tenant, const std::string& json);
  std::filesystem::path sink_dir() const { return root_ / "sink"; }
  std::filesystem::path data_dir() const { return root_ / "data"; }

  std::unique_ptr<monitoring::AgentGatewayService::Stub> stub(const ClientCert& cert) const;
  std::unique_ptr<monitoring::AgentGatewayService::Stub> stub_without_cert() const;
  // GET, with the admin token when the fixture has one; a 503 (the
  // inventory summary being read) is asked again, within the bounded wait.
  std::string http_get(const std::string& path) const;
  // POST to the HTTP endpoint with a JSON body: status and body.
  std::pair<unsigned, std::string> http_post(const std::string& path, const std::string& body,
                                             const std::string& authorization = "") const;

  ChildProcess& process() { return *process_; }
  // SIGKILL, as a crash or an OOM kill would end it; no exit check after.
  void kill_hard();
  const std::string& grpc_address() const { return grpc_address_; }
  const std::string& http_address() const { return http_address_; }

 private:
  TempDir root_dir_{"sr-gateway-test"};  // config/, sink/ and data/, removed last
  const std::filesystem::path& root_ = root_dir_.path;
  std::unique_ptr<ChildProcess> process_;
  std::string grpc_address_, http_address_;
  std::string authorization_;  // "Bearer <admin token>" or ""
};

// GET (or another method) http://address/path: status code and body (bounded
// by the test's timeout).
std::pair<unsigned, std::string> http_request(const std::string& address, const std::string& path,
                                              const std::string& method = "GET",
                                              const std::string& body = "",
                                              const std::string& authorization = "");

// A deadline for every call the tests make.
void set_deadline(grpc::ClientContext& ctx, std::chrono::seconds s = std::chrono::seconds(30));

}  // namespace sr::test
