// The upstream Go agent's agent.json, as operators migrating keep it: the
// packaging and compose shapes load, nested keys resolve like upstream's,
// keys of features this agent does not have are one warning, and the
// certificate, not the file, is the identity.
#include "agent/bootstrap/bootstrap_config.hpp"
#include "agent/gateway/control_plane.hpp"
#include "tests/agent/bootstrap/bootstrap_inputs.hpp"
#include "tests/agent/bootstrap/upstream_fixture.hpp"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

using namespace sr::agent;
using namespace sr::test;

namespace {

sr::base::Expected<Bootstrap> load(const File& f, std::map<std::string, std::string> vars = {},
                                  const std::map<std::string, std::string>& flags = kNoFlags) {
  return load_bootstrap(f.path.string(), true, env(std::move(vars)), flags);
}

// A minimal upstream-shaped file: gateway_security with `tls`, plus `extra` keys.
std::string upstream(const std::string& tls, const std::string& extra = "") {
  return R"({"gateway_addr":"gw:50052","gateway_security":{"mode":"mtls","cert_dir":"/etc/sr/certs",)"
         R"("server_name":"gw.example","role":"agent","tls":)" + tls + "}" + extra + "}";
}
const std::string kTls = R"({"cert_file":"agent.pem","key_file":"agent-key.pem","ca_file":"root.pem"})";

}  // namespace

TEST_CASE("the upstream packaging agent.json loads as deployed", "[agent][bootstrap][upstream]") {
  const auto file = upstream_fixture("packaging-agent.json").string();
  auto b = load_bootstrap(file, true, env({}), kNoFlags);
  INFO((b.ok() ? "" : b.error()));
  REQUIRE(b.ok());
  const auto& c = b->config;
  CHECK(c.gateway_addr == "agent-gateway:50052");
  CHECK(c.cert_file == "/etc/serviceradar/certs/agent.pem");
  CHECK(c.key_file == "/etc/serviceradar/certs/agent-key.pem");
  CHECK(c.ca_file == "/etc/serviceradar/certs/root.pem");
  CHECK(c.server_name == "agent-gateway");
  CHECK(c.log_level == "info");
  CHECK(c.sync_runtime_enabled);
  CHECK(c.agent_id == "default-agent");
  CHECK(c.partition == "default");
  CHECK_FALSE(c.allow_insecure);
  // One warning, every ignored key once, sorted; role, client_ca_file and a
  // disabled otel are not listed.
  REQUIRE(b->warnings.size() == 1);
  CHECK(b->warnings.front() == file + ": keys ignored (features this agent does not have): agent_name, "
                                      "checkers_dir, host_ip, push_interval, status_debounce_interval, "
                                      "status_heartbeat_interval");
  CHECK(b->origin.at("agent_id") == file);
  CHECK(b->origin.at("cert_file") == file);
}

TEST_CASE("the upstream compose agent.mtls.json loads as deployed", "[agent][bootstrap][upstream]") {
  const auto file = upstream_fixture("compose-agent-mtls.json").string();
  auto b = load_bootstrap(file, true, env({}), kNoFlags);
  INFO((b.ok() ? "" : b.error()));
  REQUIRE(b.ok());
  const auto& c = b->config;
  CHECK(c.gateway_addr == "agent-gateway.serviceradar:50052");
  CHECK(c.cert_file == "/etc/serviceradar/certs/components/docker-agent-default-chain.pem");
  CHECK(c.key_file == "/etc/serviceradar/certs/components/docker-agent-default-key.pem");
  CHECK(c.ca_file == "/etc/serviceradar/certs/root.pem");
  CHECK(c.server_name == "agent-gateway.serviceradar");  // not security.server_name
  CHECK(c.log_level == "info");
  CHECK(c.sync_runtime_enabled);
  CHECK(c.agent_id == "docker-agent");
  REQUIRE(b->warnings.size() == 1);
  CHECK(b->warnings.front() == file + ": keys ignored (features this agent does not have): agent_name, "
                                      "checkers_dir, host_ip, push_interval, security, "
                                      "status_debounce_interval, status_heartbeat_interval");
}

TEST_CASE("relative tls file names are under gateway_security.cert_dir, absolute ones kept",
          "[agent][bootstrap][upstream]") {
  File mixed(upstream(R"({"cert_file":"sub/agent.pem","key_file":"/keys/agent.key","ca_file":"./root.pem"})"));
  auto b = load(mixed);
  REQUIRE(b.ok());
  CHECK(b->config.cert_file == "/etc/sr/certs/sub/agent.pem");
  CHECK(b->config.key_file == "/keys/agent.key");
  CHECK(b->config.ca_file == "/etc/sr/certs/root.pem");
  CHECK(b->config.server_name == "gw.example");
  CHECK(b->warnings.empty());

  // Without tls file names, cert_dir gives this agent's defaults under it.
  File dir_only(R"({"gateway_addr":"g:1","gateway_security":{"mode":"mtls","cert_dir":"/c"}})");
  auto d = load(dir_only);
  REQUIRE(d.ok());
  CHECK(d->config.cert_file == "/c/agent.pem");
  CHECK(d->config.key_file == "/c/agent.key");
  CHECK(d->config.ca_file == "/c/ca.pem");
  File nulls(R"({"gateway_addr":"g:1","cert_dir":"/n","logging":null,"gateway_security":{"cert_dir":"/c","tls":null}})");
  auto n = load(nulls);
  REQUIRE(n.ok());
  CHECK(n->config.cert_file == "/n/agent.pem");  // the flat cert_dir wins...
  REQUIRE(n->warnings.size() == 1);              // ...and the disagreement is named
  CHECK(n->warnings.front() == nulls.path.string() + ": cert_dir '/n' and gateway_security.cert_dir '/c' differ: "
                                                     "cert_dir is used");

  // Unknown members of gateway_security are in the one warning, with their path.
  File spiffe_keys(R"({"gateway_addr":"g:1","kv_address":"kv:1","gateway_security":{"mode":"mtls",)"
                   R"("cert_dir":"/c","trust_domain":"x","tls":{"client_ca_file":"root.pem"}}})");
  auto s = load(spiffe_keys);
  REQUIRE(s.ok());
  REQUIRE(s->warnings.size() == 1);
  CHECK_THAT(s->warnings.front(), Catch::EndsWith(": gateway_security.trust_domain, kv_address"));
}

TEST_CASE("gateway_security.mode: mtls in any case; other modes are errors naming the key",
          "[agent][bootstrap][upstream]") {
  File upper(R"({"gateway_addr":"g:1","gateway_security":{"mode":"MTLS","cert_dir":"/c"}})");
  CHECK(load(upper).ok());
  File none(R"({"gateway_addr":"g:1","gateway_security":{"mode":"none"}})");
  CHECK(load(none).error() == none.path.string() +
                                  ": key 'gateway_security.mode' is 'none' (plaintext): this agent connects "
                                  "with mTLS only; set allow_insecure: true for a plaintext test setup");
  File spiffe(R"({"gateway_addr":"g:1","gateway_security":{"mode":"spiffe"}})");
  CHECK_THAT(load(spiffe).error(),
             Catch::StartsWith(spiffe.path.string() + ": key 'gateway_security.mode' is 'spiffe'"));
  File odd(R"({"gateway_addr":"g:1","gateway_security":{"mode":"tls"}})");
  CHECK(load(odd).error() == odd.path.string() + ": key 'gateway_security.mode' must be mtls, not 'tls'");
}

TEST_CASE("wrong types in the upstream keys are errors naming file and key", "[agent][bootstrap][upstream]") {
  const std::vector<std::pair<std::string, std::string>> cases{
      {R"({"gateway_security":"mtls"})", "gateway_security' must be an object"},
      {R"({"gateway_security":{"tls":["a"]}})", "gateway_security.tls' must be an object"},
      {R"({"gateway_security":{"tls":{"cert_file":5}}})", "gateway_security.tls.cert_file' must be a string"},
      {R"({"gateway_security":{"cert_dir":true}})", "gateway_security.cert_dir' must be a string"},
      {R"({"gateway_security":{"server_name":1}})", "gateway_security.server_name' must be a string"},
      {R"({"logging":"info"})", "logging' must be an object"},
      {R"({"logging":{"level":3}})", "logging.level' must be a string"},
      {R"({"logging":{"level":"loud"}})", "logging.level' must be debug, info, warn or error, not 'loud'"},
      {R"({"logging":{"debug":"sometimes"}})", "logging.debug' must be true or false"},
      {R"({"sync_runtime_enabled":"maybe"})", "sync_runtime_enabled' must be true or false, not 'maybe'"},
      {R"({"sync_runtime_enabled":1})", "sync_runtime_enabled' must be true or false"},
  };
  for (const auto& [text, problem] : cases) {
    File f(text);
    INFO(text);
    CHECK(load(f, {{"SR_GATEWAY_ADDR", "g:1"}, {"SR_CERT_DIR", "/c"}}).error() ==
          f.path.string() + ": key '" + problem);
  }
}

TEST_CASE("logging: upstream levels map case-insensitively, lossy ones are warned about",
          "[agent][bootstrap][upstream]") {
  struct Case {
    std::string level, expected;
    bool warned;
  };
  for (const auto& c : std::vector<Case>{{"DEBUG", "debug", false}, {"Info", "info", false},
                                         {"warn", "warn", false}, {"WARNING", "warn", false},
                                         {"error", "error", false}, {"trace", "debug", true},
                                         {"fatal", "error", true}, {"panic", "error", true}}) {
    File f(R"({"gateway_addr":"g:1","cert_dir":"/c","logging":{"level":")" + c.level + R"("}})");
    auto b = load(f);
    INFO(c.level);
    REQUIRE(b.ok());
    CHECK(b->config.log_level == c.expected);
    REQUIRE(b->warnings.size() == (c.warned ? 1u : 0u));
    if (c.warned)
      CHECK(b->warnings.front() == f.path.string() + ": key 'logging.level': log level '" + c.level +
                                       "' is taken as '" + c.expected +
                                       "' (this agent logs debug, info, warn and error)");
  }
  // debug: true wins over level, as upstream; an empty level is the default.
  File debug(R"({"gateway_addr":"g:1","cert_dir":"/c","logging":{"level":"error","debug":true}})");
  CHECK(load(debug)->config.log_level == "debug");
  File empty(R"({"gateway_addr":"g:1","cert_dir":"/c","logging":{"level":"","debug":false}})");
  CHECK(load(empty)->config.log_level == "info");
  // The flat key takes the same spellings, from the environment too.
  File flat(R"({"gateway_addr":"g:1","cert_dir":"/c"})");
  CHECK(load(flat, {{"SR_LOG_LEVEL", "Warning"}})->config.log_level == "warn");
}

TEST_CASE("logging: output other than stdout/stderr, time_format and an enabled otel are warned about",
          "[agent][bootstrap][upstream]") {
  File f(R"({"gateway_addr":"g:1","cert_dir":"/c","host_ip":"x","logging":{"level":"info",)"
         R"("output":"/var/log/agent.log","time_format":"2006-01-02","otel":{"enabled":true,"endpoint":"o:4317"}}})");
  auto b = load(f);
  REQUIRE(b.ok());
  REQUIRE(b->warnings.size() == 2);
  CHECK(b->warnings[0] == f.path.string() +
                              ": logging.output '/var/log/agent.log' is not supported: the agent logs to stderr");
  CHECK(b->warnings[1] == f.path.string() + ": keys ignored (features this agent does not have): host_ip, "
                                            "logging.otel, logging.time_format");
  File fine(R"({"gateway_addr":"g:1","cert_dir":"/c","logging":{"output":"STDERR","otel":{"enabled":false}}})");
  CHECK(load(fine)->warnings.empty());
}

TEST_CASE("flat keys win over gateway_security and logging in the same file, with a warning when they differ",
          "[agent][bootstrap][upstream]") {
  File differ(upstream(kTls, R"(,"cert_file":"/mine/agent.pem","server_name":"gw.example","log_level":"warn",)"
                             R"("logging":{"level":"debug"})"));
  auto b = load(differ);
  REQUIRE(b.ok());
  CHECK(b->config.cert_file == "/mine/agent.pem");
  CHECK(b->config.key_file == "/etc/sr/certs/agent-key.pem");  // only the flat key set is overridden
  CHECK(b->config.log_level == "warn");
  const auto& p = differ.path.string();
  CHECK(b->warnings == std::vector<std::string>{
                           p + ": cert_file '/mine/agent.pem' and gateway_security.tls.cert_file "
                               "'/etc/sr/certs/agent.pem' differ: cert_file is used",
                           p + ": log_level 'warn' and logging.level 'debug' differ: log_level is used"});

  // The same value spelled another way is no disagreement.
  File same(upstream(kTls, R"(,"cert_dir":"/etc/sr/certs/","ca_file":"/etc/sr//certs/root.pem",)"
                           R"("log_level":"warn","logging":{"level":"WARNING"})"));
  auto s = load(same);
  REQUIRE(s.ok());
  CHECK(s->warnings.empty());

  // The environment and flags override both, as for every key.
  auto e = load(differ, {{"SR_CERT_FILE", "/env/agent.pem"}}, {{"server_name", "flag.example"}});
  REQUIRE(e.ok());
  CHECK(e->config.cert_file == "/env/agent.pem");
  CHECK(e->config.server_name == "flag.example");
  CHECK(e->origin.at("cert_file") == "environment SR_CERT_FILE");
  CHECK(e->origin.at("server_name") == "flag --server-name");
}

TEST_CASE("sync_runtime_enabled: file bool or string, environment, flag", "[agent][bootstrap][upstream]") {
  File absent(R"({"gateway_addr":"g:1","cert_dir":"/c"})");
  CHECK(load(absent)->config.sync_runtime_enabled);
  File off(R"({"gateway_addr":"g:1","cert_dir":"/c","sync_runtime_enabled":false})");
  CHECK_FALSE(load(off)->config.sync_runtime_enabled);
  CHECK(load(off)->warnings.empty());
  File text(R"({"gateway_addr":"g:1","cert_dir":"/c","sync_runtime_enabled":"FALSE"})");
  CHECK_FALSE(load(text)->config.sync_runtime_enabled);
  CHECK(load(off, {{"SR_SYNC_RUNTIME_ENABLED", "true"}})->config.sync_runtime_enabled);
  CHECK_FALSE(load(absent, {}, {{"sync_runtime_enabled", "false"}})->config.sync_runtime_enabled);
  CHECK(load(absent, {{"SR_SYNC_RUNTIME_ENABLED", "off"}}).error() ==
        "environment SR_SYNC_RUNTIME_ENABLED: must be true or false, not 'off'");
}

TEST_CASE("an agent_id or partition that is not the certificate's is a warning; the certificate is the identity",
          "[agent][bootstrap][upstream]") {
  // The packaging file says default-agent; the certificate installed under
  // its names is agents/agent-1 (tenant acme, partition default).
  auto deployed = deploy_upstream("packaging-agent.json", "agent-1");
  const auto file = deployed->file.string();
  auto b = load_bootstrap(file, true, env({}), kNoFlags);
  REQUIRE(b.ok());
  CHECK(b->config.cert_file == (deployed->cert_dir / "agent.pem").string());
  auto id = identity_from_certificate(b->config);
  INFO((id.ok() ? "" : id.error()));
  REQUIRE(id.ok());
  CHECK(id->agent_id == "agent-1");
  CHECK(id->partition == "default");
  CHECK(id->tenant == "acme");
  CHECK(identity_warnings(*b, *id) ==
        std::vector<std::string>{"agent_id 'default-agent' in " + file +
                                 " differs from the certificate's 'agent-1'; the certificate is the identity"});

  // Set elsewhere: named as such.
  auto e = load_bootstrap(file, true, env({{"SR_PARTITION", "edge"}}), {{"agent_id", "agent-1"}});
  REQUIRE(e.ok());
  CHECK(identity_warnings(*e, *id) ==
        std::vector<std::string>{"partition 'edge' in environment SR_PARTITION differs from the "
                                 "certificate's 'default'; the certificate is the identity"});
}

TEST_CASE("without the sync runtime, Hello advertises no sync and the heartbeat says so",
          "[agent][bootstrap][upstream]") {
  CHECK(hello_capabilities(true) == std::vector<std::string>{"sync"});
  CHECK(hello_capabilities(false).empty());
  CHECK(heartbeat_message("v1", true, R"({"sources":{"a":{}}})") == R"({"config_version":"v1","sources":{"a":{}}})");
  const auto off = heartbeat_message("v1", false, R"({"sources":{}})");
  CHECK(off == R"({"config_version":"v1","sync_runtime_enabled":false,"sources":{}})");
  CHECK(boost::json::parse(off).at("sync_runtime_enabled").as_bool() == false);
  CHECK(heartbeat_message("", false, "{}") == R"({"config_version":"","sync_runtime_enabled":false})");
}

TEST_CASE("tools/packaging's example bootstrap loads without a warning", "[agent][bootstrap]") {
  const char* example = std::getenv("SR_PACKAGING_EXAMPLE");
  REQUIRE(example);
  auto b = load_bootstrap(example, true, env({}), kNoFlags);
  INFO((b.ok() ? "" : b.error()));
  REQUIRE(b.ok());
  CHECK(b->warnings.empty());
  CHECK(b->config.cert_file == "/etc/serviceradar/certs/agent.pem");
  CHECK(b->config.sync_runtime_enabled);
}
