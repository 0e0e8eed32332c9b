// Identity: every rejection reason of the wire contract, from a real gateway
// process, with grpc's own C++ client.
#include "tests/tools/agent-gateway/e2e/gateway_fixture.hpp"

#include <catch2/catch.hpp>

using namespace sr::test;

namespace {

grpc::Status hello(GatewayFixture& gw, const ClientCert& cert, const std::string& agent_id,
                   monitoring::AgentHelloResponse* out = nullptr) {
  auto stub = gw.stub(cert);
  grpc::ClientContext ctx;
  set_deadline(ctx);
  monitoring::AgentHelloRequest req;
  req.set_agent_id(agent_id);
  req.set_version("test");
  req.add_capabilities("sync");
  monitoring::AgentHelloResponse resp;
  auto status = stub->Hello(&ctx, req, &resp);
  if (out) *out = resp;
  return status;
}

}  // namespace

TEST_CASE("a tenant agent's certificate is accepted and names its tenant", "[gateway][identity]") {
  GatewayFixture gw;
  monitoring::AgentHelloResponse resp;
  auto status = hello(gw, agent_cert("agent-1"), "agent-1", &resp);
  REQUIRE(status.ok());
  CHECK(resp.accepted());
  CHECK(resp.agent_id() == "agent-1");
  CHECK(resp.message() == "welcome, tenant acme");
  CHECK(resp.heartbeat_interval_sec() == 30);
  CHECK(resp.server_time() > 0);
  CHECK(gw.http_get("/status").find(R"("acme":{"agents":[{"agent_id":"agent-1")") !=
        std::string::npos);
}

TEST_CASE("a 3-part CN from the root belongs to the default tenant", "[gateway][identity]") {
  GatewayFixture gw;
  monitoring::AgentHelloResponse resp;
  auto status = hello(gw, test_cert("legacy"), "agent-legacy", &resp);
  REQUIRE(status.ok());
  CHECK(resp.message() == "welcome, tenant default");
}

TEST_CASE("each bad identity is refused with the wire contract's status", "[gateway][identity]") {
  GatewayFixture gw;
  struct Case {
    std::string cert, agent_id;
    grpc::StatusCode code;
    std::string message;
  };
  const std::vector<Case> cases{
      {"wrong-type", "poller-1", grpc::StatusCode::PERMISSION_DENIED,
       "component type 'poller' may not use the agent gateway"},
      {"platform", "agent-p", grpc::StatusCode::UNAUTHENTICATED,
       "tenant 'platform' is reserved and cannot be issued to an agent"},
      {"tenant-mismatch", "agent-m", grpc::StatusCode::UNAUTHENTICATED,
       "certificate claims tenant 'globex' but was issued by tenant 'acme' CA"},
  };
  for (const auto& c : cases) {
    SECTION(c.cert) {
      auto status = hello(gw, test_cert(c.cert), c.agent_id);
      CHECK(status.error_code() == c.code);
      CHECK(status.error_message() == c.message);
    }
  }
  SECTION("SAN disagreeing with the CN") {
    auto status = hello(gw, test_cert("san-mismatch"), "agent-s");
    CHECK(status.error_code() == grpc::StatusCode::UNAUTHENTICATED);
    CHECK_THAT(status.error_message(), Catch::StartsWith("client certificate: "));
  }
  SECTION("a CN that is no ServiceRadar identity") {
    auto status = hello(gw, test_cert("bad-cn"), "justonelabel");
    CHECK(status.error_code() == grpc::StatusCode::UNAUTHENTICATED);
    CHECK_THAT(status.error_message(), Catch::StartsWith("client certificate: "));
  }
}

TEST_CASE("no, an expired or a foreign client certificate fails the TLS handshake", "[gateway][identity]") {
  GatewayFixture gw;
  auto call = [&](std::unique_ptr<monitoring::AgentGatewayService::Stub> stub) {
    grpc::ClientContext ctx;
    set_deadline(ctx);
    monitoring::AgentHelloRequest req;
    req.set_agent_id("agent-1");
    monitoring::AgentHelloResponse resp;
    return stub->Hello(&ctx, req, &resp);
  };
  CHECK(call(gw.stub_without_cert()).error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK(call(gw.stub(test_cert("expired"))).error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK(call(gw.stub(test_cert("unknown-ca"))).error_code() == grpc::StatusCode::UNAVAILABLE);
  // No handler ran for any of them.
  CHECK(gw.http_get("/status").find(R"("calls":{"started":0,)") != std::string::npos);
  CHECK(gw.process().log_text().find("Hello from") == std::string::npos);
}

TEST_CASE("an agent_id other than the certificate's is denied on every RPC",
          "[gateway][identity]") {
  GatewayFixture gw;
  auto stub = gw.stub(agent_cert("agent-1"));
  {
    grpc::ClientContext ctx;
    set_deadline(ctx);
    monitoring::AgentHelloRequest req;
    req.set_agent_id("agent-2");
    monitoring::AgentHelloResponse resp;
    auto s = stub->Hello(&ctx, req, &resp);
    CHECK(s.error_code() == grpc::StatusCode::PERMISSION_DENIED);
    CHECK(s.error_message() == "component_id mismatch");
  }
  {
    grpc::ClientContext ctx;
    set_deadline(ctx);
    monitoring::AgentConfigRequest req;
    req.set_agent_id("agent-2");
    monitoring::AgentConfigResponse resp;
    auto s = stub->GetConfig(&ctx, req, &resp);
    CHECK(s.error_code() == grpc::StatusCode::PERMISSION_DENIED);
    CHECK(s.error_message() == "component_id mismatch");
  }
  {
    grpc::ClientContext ctx;
    set_deadline(ctx);
    monitoring::GatewayStatusRequest req;
    req.set_agent_id("agent-2");
    monitoring::GatewayStatusResponse resp;
    auto s = stub->PushStatus(&ctx, req, &resp);
    CHECK(s.error_code() == grpc::StatusCode::PERMISSION_DENIED);
    CHECK(s.error_message() == "component_id mismatch");
  }
  CHECK(gw.process().wait_for_log("rejected: PERMISSION_DENIED component_id mismatch"));
}

TEST_CASE("PushStatus records the agent as online", "[gateway][identity]") {
  GatewayFixture gw;
  auto stub = gw.stub(agent_cert("agent-2"));
  grpc::ClientContext ctx;
  set_deadline(ctx);
  monitoring::GatewayStatusRequest req;
  req.set_agent_id("agent-2");
  req.set_version("1.2.3");
  req.set_hostname("edge-7");
  monitoring::GatewayStatusResponse resp;
  REQUIRE(stub->PushStatus(&ctx, req, &resp).ok());
  CHECK(resp.received());
  const auto status = gw.http_get("/status");
  CHECK(status.find(R"("globex":{"agents":[{"agent_id":"agent-2","partition":"default","state":"online")") !=
        std::string::npos);
  CHECK(status.find(R"("hostname":"edge-7")") != std::string::npos);
}

TEST_CASE("a non-agent identity never gets a tenant's config, and it is logged",
          "[gateway][identity]") {
  GatewayFixtureOptions o;
  o.stores = {{"acme", R"({"sources":{"armis-hq":{"type":"armis","credentials":{"api_key":"k"}}}})"}};
  GatewayFixture gw(o);
  auto stub = gw.stub(test_cert("wrong-type"));
  grpc::ClientContext ctx;
  set_deadline(ctx);
  monitoring::AgentConfigRequest req;
  req.set_agent_id("poller-1");
  monitoring::AgentConfigResponse resp;
  auto status = stub->GetConfig(&ctx, req, &resp);
  CHECK(status.error_code() == grpc::StatusCode::PERMISSION_DENIED);
  CHECK(resp.config_json().empty());
  CHECK(gw.process().wait_for_log(
      "GetConfig from poller 'poller-1' (tenant 'acme', partition 'default')"));
  CHECK(gw.process().log_text().find("armis-hq") == std::string::npos);
}

TEST_CASE("GRPC_MAX_RECV_MSG_SIZE is honoured, and a bad value stops the start",
          "[gateway][identity]") {
  GatewayFixtureOptions o;
  o.extra_env = {"GRPC_MAX_RECV_MSG_SIZE=64KB"};
  GatewayFixture gw(o);
  auto stub = gw.stub(agent_cert("agent-1"));
  grpc::ClientContext ctx;
  set_deadline(ctx);
  monitoring::GatewayStatusRequest req;
  req.set_agent_id("agent-1");
  req.add_services()->set_message(std::string(100 * 1024, 'x'));
  monitoring::GatewayStatusResponse resp;
  auto status = stub->PushStatus(&ctx, req, &resp);
  CHECK(status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);

  const char* pki = std::getenv("SR_TEST_PKI");
  REQUIRE(pki != nullptr);
  const std::string dir(pki);
  ChildProcess bad(std::getenv("SR_AGENT_GATEWAY"),
                   {"--listen", "127.0.0.1:0", "--cert", dir + "/gateway/server.pem", "--key",
                    dir + "/gateway/server.key", "--ca-dir", dir + "/ca", "--config-dir", dir,
                    "--no-inventory", "--sink-dir", dir},
                   {"GRPC_MAX_RECV_MSG_SIZE=lots"});
  CHECK_FALSE(bad.wait_for_line("agent-gateway ready"));
  CHECK(bad.log_text().find("GRPC_MAX_RECV_MSG_SIZE='lots' is not a size") != std::string::npos);
  CHECK(bad.terminate() == 1);
}
