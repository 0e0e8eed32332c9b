// The integration admin API end to end: real agents enrol with the real
// reference gateway, sources are created, changed, assigned, disabled and
// deleted over HTTP, and the agents follow through the config store.
#include "tests/agent/e2e/agent_process.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/wait.hpp"
#include "tests/tools/agent-gateway/e2e/gateway_fixture.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

using namespace sr::test;
namespace json = boost::json;

namespace {

// A change reaches an agent by ControlStream push or by its next GetConfig
// poll, whichever comes first ("applied (pushed)" or "applied (poll)"): the
// waits below match the applied source list, not the way it came.
const std::string kToken = "admin-token-0123456789";
const std::string kAuth = "Bearer " + kToken;
const char* kArmisSecret = "SECRET-armis-9b1e";
const char* kRotated = "SECRET-rotated-44d0";

int count_of(const std::string& text, const std::string& needle) {
  int n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
  return n;
}

GatewayFixtureOptions with_admin() {
  GatewayFixtureOptions o;
  o.admin_token = kToken;
  o.extra_args = {"--heartbeat-interval", "1", "--config-poll-interval", "1"};
  return o;
}

struct Api {
  const GatewayFixture& gw;
  std::pair<unsigned, std::string> call(const std::string& method, const std::string& path,
                                        const std::string& body = "") const {
    return http_request(gw.http_address(), path, method, body, kAuth);
  }
  json::value get(const std::string& path) const {
    auto [status, body] = call("GET", path);
    INFO(path << " -> " << status << " " << body);
    REQUIRE(status == 200);
    return json::parse(body);
  }
};

std::string faker(const std::string& name, int devices, const std::string& extra = "") {
  return R"({"name":")" + name + R"(","type":"faker","poll_interval":"1h","total_devices":)" +
         std::to_string(devices) + extra + "}";
}

const json::object* source_named(const json::value& list, const std::string& name) {
  for (const auto& s : list.at("sources").as_array())
    if (s.at("name").as_string() == name) return &s.as_object();
  return nullptr;
}

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("the admin API needs its token, even on loopback", "[agent][admin]") {
  GatewayFixture without_token;
  auto [disabled, disabled_body] = http_request(without_token.http_address(), "/admin/tenants/acme/sources");
  CHECK(disabled == 403);
  CHECK_THAT(disabled_body, Catch::Contains("--admin-token-file"));

  GatewayFixture gw(with_admin());
  for (const auto& auth : {std::string(), std::string("Bearer wrong-token-0123456789"), kToken}) {
    auto [status, body] = http_request(gw.http_address(), "/admin/tenants/acme/sources", "GET", "", auth);
    CHECK(status == 401);
    CHECK_THAT(body, Catch::Contains("admin token"));
  }
  auto [create, _] = http_request(gw.http_address(), "/admin/tenants/acme/sources", "POST", faker("x", 10));
  CHECK(create == 401);
  // The status page and /status stay open: they are read-only and carry no credentials.
  auto [page, html] = http_request(gw.http_address(), "/");
  CHECK(page == 200);
  CHECK_THAT(html, Catch::Contains("<title>agent-gateway status</title>"));
}

TEST_CASE("sources are refused until the tenant has an enrolled agent, then reach it; credentials are write-only",
          "[agent][admin]") {
  GatewayFixture gw(with_admin());
  Api api{gw};

  // No agent yet: 409, pointing to onboarding.
  auto [early, early_body] = api.call("POST", "/admin/tenants/acme/sources", faker("lab", 50));
  CHECK(early == 409);
  CHECK_THAT(early_body, Catch::Contains("no enrolled agent") && Catch::Contains("enrol an agent first"));
  CHECK(api.get("/admin/tenants/acme/agents").at("agents").as_array().empty());

  auto agent = start_agent(gw.grpc_address(), "agents/agent-1");
  REQUIRE(agent->wait_for_log("enrolled with gateway"));
  const auto agents = api.get("/admin/tenants/acme/agents").at("agents").as_array();
  REQUIRE(agents.size() == 1);
  CHECK(agents[0].at("agent_id").as_string() == "agent-1");
  CHECK(agents[0].at("sync").as_bool());
  CHECK(agents[0].at("online").as_bool());
  // Another tenant's agents are not listed, nor does it count as enrolment for acme.
  CHECK(api.get("/admin/tenants/globex/agents").at("agents").as_array().empty());

  // Bad input: named.
  auto [bad_type, bad_type_body] = api.call("POST", "/admin/tenants/acme/sources", R"({"name":"x","type":"snmp"})");
  CHECK(bad_type == 400);
  CHECK_THAT(bad_type_body, Catch::Contains("snmp"));
  // What the agent would read leniently is accepted; what no reading saves is
  // not: a query list that is not one (the gateway checks against contract/).
  auto [bad_queries, bad_queries_body] = api.call(
      "POST", "/admin/tenants/acme/sources",
      R"({"name":"x","type":"armis","endpoint":"https://armis.test","credentials":{"api_key":"k"},"queries":"all"})");
  CHECK(bad_queries == 400);
  CHECK_THAT(bad_queries_body, Catch::Contains("queries\\\" must be an array, not a string"));
  auto [no_creds, no_creds_body] = api.call(
      "POST", "/admin/tenants/acme/sources", R"({"name":"hq","type":"armis","endpoint":"https://armis.test"})");
  CHECK(no_creds == 400);
  CHECK_THAT(no_creds_body, Catch::Contains("credentials"));
  auto [bad_name, _n] = api.call("POST", "/admin/tenants/acme/sources", faker("no spaces", 5));
  CHECK(bad_name == 400);
  auto [ghost, ghost_body] = api.call("POST", "/admin/tenants/acme/sources", faker("lab", 5, R"(,"agent_id":"ghost")"));
  CHECK(ghost == 409);
  CHECK_THAT(ghost_body, Catch::Contains("'ghost'"));

  // Created: the agent gets it pushed, runs it, and the result shows per source.
  auto [created, created_body] = api.call("POST", "/admin/tenants/acme/sources", faker("lab", 50));
  INFO(created_body);
  REQUIRE(created == 201);
  CHECK(agent->wait_for_log("): 1 source(s): lab"));
  auto [dup, _d] = api.call("POST", "/admin/tenants/acme/sources", faker("lab", 50));
  CHECK(dup == 409);
  CHECK(agent->wait_for_log("delivered: 50 devices"));
  json::value listed;
  CHECK(eventually([&] {
    listed = api.get("/admin/tenants/acme/sources");
    const auto* lab = source_named(listed, "lab");
    return lab && lab->at("last_result").is_object() && lab->at("last_result").at("result").as_string() == "ok";
  }));
  INFO(json::serialize(listed));
  const auto* lab = source_named(listed, "lab");
  REQUIRE(lab);
  CHECK(lab->at("type").as_string() == "faker");
  CHECK(lab->at("enabled").as_bool());
  CHECK(lab->at("last_result").at("devices").to_number<int>() == 50);
  CHECK(lab->at("last_result").at("agent_id").as_string() == "agent-1");
  CHECK(lab->at("last_result").at("last_stream").at("result").as_string() == "accepted");

  // An Armis source with a secret: shown by key name only, rotated with a PATCH of one key.
  const std::string armis = std::string(R"({"name":"hq","type":"armis","endpoint":"https://armis.test","poll_interval":"1h",)") +
                            R"("credentials":{"api_key":")" + kArmisSecret + R"(","api_secret":"also-secret"}})";
  auto [made, made_body] = api.call("POST", "/admin/tenants/acme/sources", armis);
  CHECK(made == 201);
  CHECK_THAT(made_body, Catch::Contains(R"("credentials":["api_key","api_secret"])"));
  CHECK(agent->wait_for_log("): 2 source(s): hq, lab"));
  auto [rotated, rotated_body] =
      api.call("PATCH", "/admin/tenants/acme/sources/hq", std::string(R"({"credentials":{"api_key":")") + kRotated + R"("}})");
  CHECK(rotated == 200);
  auto [dropped, dropped_body] = api.call("PATCH", "/admin/tenants/acme/sources/hq", R"({"credentials":{"api_secret":null}})");
  CHECK(dropped == 200);
  CHECK_THAT(dropped_body, Catch::Contains(R"("credentials":["api_key"])"));
  auto [put, _p] = api.call("PUT", "/admin/tenants/acme/sources/hq", armis);
  CHECK(put == 405);
  // The store holds the rotated secret; no answer, list or log ever showed one.
  const auto store = read_text(gw.data_dir().parent_path() / "config" / "acme.json");
  CHECK_THAT(store, Catch::Contains(kRotated));
  for (const auto& text : {made_body, rotated_body, dropped_body, json::serialize(api.get("/admin/tenants/acme/sources")),
                           json::serialize(api.get("/admin/tenants/acme/sources/hq")), gw.http_get("/status"),
                           gw.process().log_text()}) {
    CHECK(text.find(kArmisSecret) == std::string::npos);
    CHECK(text.find(kRotated) == std::string::npos);
    CHECK(text.find("also-secret") == std::string::npos);
  }

  // Disable, enable, delete: each reaches the agent.
  auto [off, _o] = api.call("POST", "/admin/tenants/acme/sources/hq/disable");
  CHECK(off == 200);
  CHECK(agent->wait_for_log("): 1 source(s): lab", 2));  // the first was its creation
  CHECK_FALSE(source_named(api.get("/admin/tenants/acme/sources"), "hq")->at("enabled").as_bool());
  auto [on, _e] = api.call("POST", "/admin/tenants/acme/sources/hq/enable");
  CHECK(on == 200);
  auto [gone, _g] = api.call("DELETE", "/admin/tenants/acme/sources/lab");
  CHECK(gone == 200);
  CHECK(agent->wait_for_log("): 1 source(s): hq"));
  auto [missing, _m] = api.call("GET", "/admin/tenants/acme/sources/lab");
  CHECK(missing == 404);
  check_clean_exit(*agent);
  CHECK(agent->log_text().find(kRotated) == std::string::npos);
}

TEST_CASE("an assigned source runs on its agent only; tenants stay apart", "[agent][admin]") {
  GatewayFixture gw(with_admin());
  Api api{gw};
  auto one = start_agent(gw.grpc_address(), "agents/agent-1");
  auto three = start_agent(gw.grpc_address(), "agents/agent-3");
  auto other = start_agent(gw.grpc_address(), "agents/agent-2");  // globex
  REQUIRE(one->wait_for_log("enrolled with gateway"));
  REQUIRE(three->wait_for_log("enrolled with gateway"));
  REQUIRE(other->wait_for_log("enrolled with gateway"));
  CHECK(api.get("/admin/tenants/acme/agents").at("agents").as_array().size() == 2);

  auto [a, a_body] = api.call("POST", "/admin/tenants/acme/sources", faker("for-one", 10, R"(,"agent_id":"agent-1")"));
  INFO(a_body);
  CHECK(a == 201);
  auto [b, _b] = api.call("POST", "/admin/tenants/acme/sources", faker("for-three", 10, R"(,"agent_id":"agent-3")"));
  CHECK(b == 201);
  CHECK(one->wait_for_log("): 1 source(s): for-one"));
  CHECK(three->wait_for_log("): 1 source(s): for-three"));
  // Assigning to another tenant's agent is refused as not enrolled here.
  auto [cross, cross_body] =
      api.call("PATCH", "/admin/tenants/acme/sources/for-one", R"({"agent_id":"agent-2"})");
  CHECK(cross == 409);
  CHECK_THAT(cross_body, Catch::Contains("'agent-2'"));
  // Reassigned: it moves. (agent-1 logged an empty config at enrolment only if
  // its first GetConfig came before for-one existed: count from here.)
  const auto empty_before = count_of(one->log_text(), "): 0 source(s)");
  auto [moved, _mv] = api.call("PATCH", "/admin/tenants/acme/sources/for-one", R"({"agent_id":"agent-3"})");
  CHECK(moved == 200);
  CHECK(three->wait_for_log("): 2 source(s): for-one, for-three"));
  CHECK(one->wait_for_log("): 0 source(s)", empty_before + 1));
  // globex has its own agent, and none of acme's sources.
  auto [g, _gl] = api.call("POST", "/admin/tenants/globex/sources", faker("globex-lab", 10));
  CHECK(g == 201);
  CHECK(other->wait_for_log("): 1 source(s): globex-lab"));
  const auto globex = api.get("/admin/tenants/globex/sources");
  CHECK(globex.at("sources").as_array().size() == 1);
  CHECK(source_named(api.get("/admin/tenants/acme/sources"), "globex-lab") == nullptr);
  for (auto* agent : {one.get(), three.get(), other.get()}) check_clean_exit(*agent);
}
