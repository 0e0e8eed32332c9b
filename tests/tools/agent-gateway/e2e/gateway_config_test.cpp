// Config: a tenant's agents get only their tenant's enabled sources (assigned
// to them or to nobody), versions and not_modified, and a store edit pushed
// over an open ControlStream, acknowledged by the agent.
#include "tests/tools/agent-gateway/e2e/gateway_fixture.hpp"
#include "tests/support/wait.hpp"

#include <boost/json/parse.hpp>

#include <catch2/catch.hpp>

using namespace sr::test;
namespace json = boost::json;

namespace {

const char* kAcme = R"({"sources": {
  "armis-hq":   {"type": "armis", "endpoint": "https://armis.acme.test", "poll_interval": "5m"},
  "netbox-1":   {"type": "netbox", "endpoint": "https://netbox.acme.test", "agent_id": "agent-1"},
  "netbox-2":   {"type": "netbox", "endpoint": "https://nb2.acme.test", "agent_id": "agent-9"},
  "faker-off":  {"type": "faker", "enabled": "false"}
}})";
const char* kGlobex = R"({"sources": {
  "globex-armis": {"type": "armis", "endpoint": "https://armis.globex.test"}
}})";

GatewayFixtureOptions two_tenants() {
  GatewayFixtureOptions o;
  o.stores = {{"acme", kAcme}, {"globex", kGlobex}};
  return o;
}

monitoring::AgentConfigResponse get_config(GatewayFixture& gw, const std::string& agent,
                                           const std::string& version = "") {
  auto stub = gw.stub(agent_cert(agent));
  grpc::ClientContext ctx;
  set_deadline(ctx);
  monitoring::AgentConfigRequest req;
  req.set_agent_id(agent);
  req.set_config_version(version);
  monitoring::AgentConfigResponse resp;
  auto status = stub->GetConfig(&ctx, req, &resp);
  INFO("GetConfig: " << status.error_code() << " " << status.error_message());
  REQUIRE(status.ok());
  return resp;
}

std::vector<std::string> source_names(const std::string& config_json) {
  std::vector<std::string> names;
  const json::value doc = json::parse(config_json);
  for (const auto& kv : doc.at("sources").as_object())
    names.emplace_back(kv.key());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

TEST_CASE("an agent gets only its tenant's enabled sources, assigned to it or to nobody",
          "[gateway][config]") {
  GatewayFixture gw(two_tenants());
  auto acme = get_config(gw, "agent-1");
  CHECK_FALSE(acme.not_modified());
  CHECK(source_names(acme.config_json()) == std::vector<std::string>{"armis-hq", "netbox-1"});
  CHECK(json::parse(acme.config_json()).at("agent_id").as_string() == "agent-1");
  CHECK(acme.config_json().find("globex") == std::string::npos);
  CHECK(acme.config_version().rfind("v", 0) == 0);
  CHECK(acme.config_version().size() == 65);  // "v" + 64 hex digits of SHA-256
  CHECK(acme.heartbeat_interval_sec() == 30);
  CHECK(acme.config_poll_interval_sec() == 300);

  auto globex = get_config(gw, "agent-2");
  CHECK(source_names(globex.config_json()) == std::vector<std::string>{"globex-armis"});
  CHECK(globex.config_version() != acme.config_version());
}

TEST_CASE("GetConfig with the current version answers not_modified", "[gateway][config]") {
  GatewayFixture gw(two_tenants());
  auto first = get_config(gw, "agent-1");
  auto again = get_config(gw, "agent-1", first.config_version());
  CHECK(again.not_modified());
  CHECK(again.config_version() == first.config_version());
  CHECK(again.config_json().empty());
  auto stale = get_config(gw, "agent-1", "v-old");
  CHECK_FALSE(stale.not_modified());
  CHECK(stale.config_json() == first.config_json());
}

TEST_CASE("Hello says whether the agent's config is outdated", "[gateway][config]") {
  GatewayFixture gw(two_tenants());
  const auto current = get_config(gw, "agent-1").config_version();
  auto stub = gw.stub(agent_cert("agent-1"));
  for (const auto& [version, outdated] :
       std::vector<std::pair<std::string, bool>>{{"", true}, {"v-old", true}, {current, false}}) {
    grpc::ClientContext ctx;
    set_deadline(ctx);
    monitoring::AgentHelloRequest req;
    req.set_agent_id("agent-1");
    req.set_config_version(version);
    monitoring::AgentHelloResponse resp;
    REQUIRE(stub->Hello(&ctx, req, &resp).ok());
    CHECK(resp.config_outdated() == outdated);
  }
}

TEST_CASE("a store edit is pushed at once over the ControlStream and acknowledged",
          "[gateway][config][control]") {
  GatewayFixture gw(two_tenants());
  const auto before = get_config(gw, "agent-1").config_version();
  auto stub = gw.stub(agent_cert("agent-1"));
  grpc::ClientContext ctx;
  set_deadline(ctx, std::chrono::seconds(60));
  auto stream = stub->ControlStream(&ctx);
  monitoring::ControlStreamRequest hello;
  hello.mutable_hello()->set_agent_id("agent-1");
  hello.mutable_hello()->set_config_version(before);
  REQUIRE(stream->Write(hello));
  REQUIRE(gw.process().wait_for_log("ControlStream open for agent 'agent-1'"));

  gw.write_store("acme", R"({"sources": {"faker-new": {"type": "faker"}}})");
  monitoring::ControlStreamResponse push;
  REQUIRE(stream->Read(&push));  // bounded by the call's deadline
  REQUIRE(push.has_config());
  const auto& pushed = push.config();
  CHECK(pushed.config_version() != before);
  CHECK(source_names(pushed.config_json()) == std::vector<std::string>{"faker-new"});

  monitoring::ControlStreamRequest ack;
  ack.mutable_config_ack()->set_config_version(pushed.config_version());
  ack.mutable_config_ack()->set_timestamp(1);
  REQUIRE(stream->Write(ack));
  CHECK(gw.process().wait_for_log("config " + pushed.config_version() + " acknowledged"));
  CHECK(gw.http_get("/status").find(R"("config_acked":")" + pushed.config_version()) !=
        std::string::npos);

  // The other tenant's agent was not told anything: its config is unchanged.
  CHECK(source_names(get_config(gw, "agent-2").config_json()) ==
        std::vector<std::string>{"globex-armis"});
  stream->WritesDone();
  CHECK(stream->Finish().ok());
}

TEST_CASE("a ControlStream must start with hello", "[gateway][config][control]") {
  GatewayFixture gw(two_tenants());
  auto stub = gw.stub(agent_cert("agent-1"));
  grpc::ClientContext ctx;
  set_deadline(ctx);
  auto stream = stub->ControlStream(&ctx);
  monitoring::ControlStreamRequest ack;
  ack.mutable_config_ack()->set_config_version("v1");
  stream->Write(ack);
  stream->WritesDone();
  auto status = stream->Finish();
  CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(status.error_message() == "the first ControlStream message must be hello");
}
