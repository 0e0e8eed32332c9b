// The agent's bootstrap: file, then environment, then flags; every error
// names its source and key.
#include "agent/bootstrap/bootstrap_config.hpp"
#include "base/read_file.hpp"
#include "tests/agent/bootstrap/bootstrap_inputs.hpp"

#include <catch2/catch.hpp>

using namespace sr::agent;
using namespace sr::test;

TEST_CASE("file, then environment, then flags", "[agent][bootstrap]") {
  File f(R"({"gateway_addr":"file:1","cert_dir":"/certs","log_level":"debug","threads":3})");
  auto b = load_bootstrap(f.path.string(), true, env({{"SR_GATEWAY_ADDR", "env:2"}}),
                          {{"log_level", "warn"}});
  REQUIRE(b.ok());
  CHECK(b->config.gateway_addr == "env:2");
  CHECK(b->config.log_level == "warn");
  CHECK(b->config.threads == 3);
  CHECK(b->config.cert_file == "/certs/agent.pem");
  CHECK(b->config.key_file == "/certs/agent.key");
  CHECK(b->config.ca_file == "/certs/ca.pem");
  CHECK(b->warnings.empty());
}

TEST_CASE("unknown keys are warned about, wrong types are errors naming the key",
          "[agent][bootstrap]") {
  File unknown(R"({"gateway_addr":"g:1","cert_dir":"/c","kv_address":"x","push_interval":"30s","agent_name":"a"})");
  auto b = load_bootstrap(unknown.path.string(), true, env({}), kNoFlags);
  REQUIRE(b.ok());
  // One warning for all of them, sorted.
  REQUIRE(b->warnings.size() == 1);
  CHECK(b->warnings.front() == unknown.path.string() +
                                   ": keys ignored (features this agent does not have): agent_name, "
                                   "kv_address, push_interval");

  File wrong(R"({"gateway_addr":"g:1","threads":"many"})");
  auto w = load_bootstrap(wrong.path.string(), true, env({}), kNoFlags);
  REQUIRE_FALSE(w.ok());
  CHECK(w.error() == wrong.path.string() + ": key 'threads' must be a whole number from 1 to 64, not 'many'");

  File type(R"({"gateway_addr":7})");
  CHECK(load_bootstrap(type.path.string(), true, env({}), kNoFlags).error() ==
        type.path.string() + ": key 'gateway_addr' must be a string");
}

TEST_CASE("environment and flag errors name the variable or flag", "[agent][bootstrap]") {
  auto e = load_bootstrap("", false, env({{"SR_LOG_LEVEL", "loud"}}), kNoFlags);
  CHECK(e.error() == "environment SR_LOG_LEVEL: must be debug, info, warn or error, not 'loud'");
  auto f = load_bootstrap("", false, env({}), {{"log_format", "xml"}});
  CHECK(f.error() == "flag --log-format: must be text or json, not 'xml'");
  auto d = load_bootstrap("", false, env({}), {{"min_poll_interval", "soon"}});
  REQUIRE_FALSE(d.ok());
  CHECK_THAT(d.error(), Catch::StartsWith("flag --min-poll-interval: "));
}

TEST_CASE("required keys and plaintext", "[agent][bootstrap]") {
  CHECK(load_bootstrap("", false, env({}), kNoFlags).error() ==
        "gateway_addr is required (file key gateway_addr, SR_GATEWAY_ADDR or --gateway-addr)");
  CHECK(load_bootstrap("", false, env({{"SR_GATEWAY_ADDR", "g:1"}}), kNoFlags).error() ==
        "cert_file is required (or cert_dir, or allow_insecure for plaintext)");
  auto plain = load_bootstrap("", false, env({{"SR_GATEWAY_ADDR", "g:1"}, {"SR_ALLOW_INSECURE", "true"}}),
                              kNoFlags);
  REQUIRE(plain.ok());
  CHECK(plain->config.allow_insecure);
  REQUIRE(plain->warnings.size() == 1);
  CHECK_THAT(plain->warnings.front(), Catch::Contains("PLAINTEXT"));
}

TEST_CASE("a missing file matters only when asked for", "[agent][bootstrap]") {
  CHECK(load_bootstrap("/nonexistent/agent.json", true, env({}), kNoFlags).error() ==
        "/nonexistent/agent.json: cannot read the bootstrap file");
  auto optional = load_bootstrap("/nonexistent/agent.json", false,
                                 env({{"SR_GATEWAY_ADDR", "g:1"}, {"SR_CERT_DIR", "/c"}}), kNoFlags);
  CHECK(optional.ok());
  File bad("{not json");
  CHECK_THAT(load_bootstrap(bad.path.string(), true, env({}), kNoFlags).error(),
             Catch::StartsWith(bad.path.string() + ": not JSON: "));
}

TEST_CASE("a bootstrap file over the size cap is refused, naming it", "[agent][bootstrap]") {
  // A wrong path can point at anything (a log, a disk image): read at most 16 MiB.
  File huge(std::string((16u << 20) + 1, ' '));
  const auto r = load_bootstrap(huge.path.string(), false, env({{"SR_GATEWAY_ADDR", "g:1"}}), kNoFlags);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error() == huge.path.string() + ": larger than the 16384 KiB a configuration file may be");
  // Devices that report no size are capped too, and an unreadable path says why.
  CHECK(sr::base::read_small_file("/dev/zero", 1024).error() ==
        "/dev/zero: larger than the 1 KiB a configuration file may be");
  CHECK(sr::base::read_small_file("/nonexistent/x.pem").error() ==
        "/nonexistent/x.pem: cannot open (No such file or directory)");
}

TEST_CASE("the poll floor is a duration", "[agent][bootstrap]") {
  auto b = load_bootstrap("", false, env({{"SR_GATEWAY_ADDR", "g:1"}, {"SR_CERT_DIR", "/c"}}),
                          {{"min_poll_interval", "250ms"}});
  REQUIRE(b.ok());
  CHECK(b->config.min_poll_interval == std::chrono::milliseconds(250));
}

TEST_CASE("gateway_issuer_file: file key, environment or flag; empty unless set", "[agent][bootstrap][tls]") {
  File f(R"({"gateway_addr":"g:1","cert_dir":"/c","gateway_issuer_file":"/pki/gateway-ca.pem"})");
  auto b = load_bootstrap(f.path.string(), true, env({}), kNoFlags);
  REQUIRE(b.ok());
  CHECK(b->config.gateway_issuer_file == "/pki/gateway-ca.pem");
  CHECK(b->warnings.empty());  // a key this agent uses, not "ignored"
  auto e = load_bootstrap("", false, env({{"SR_GATEWAY_ADDR", "g:1"}, {"SR_CERT_DIR", "/c"},
                                          {"SR_GATEWAY_ISSUER_FILE", "/env.pem"}}),
                          {{"gateway_issuer_file", "/flag.pem"}});
  REQUIRE(e.ok());
  CHECK(e->config.gateway_issuer_file == "/flag.pem");
  auto none = load_bootstrap("", false, env({{"SR_GATEWAY_ADDR", "g:1"}, {"SR_CERT_DIR", "/c"}}), kNoFlags);
  REQUIRE(none.ok());
  CHECK(none->config.gateway_issuer_file.empty());
}

TEST_CASE("grpc_compression: none by default, gzip from file, environment or flag; anything else refused",
          "[agent][bootstrap][compression]") {
  const std::map<std::string, std::string> base{{"SR_GATEWAY_ADDR", "g:1"}, {"SR_CERT_DIR", "/c"}};
  auto none = load_bootstrap("", false, env(base), kNoFlags);
  REQUIRE(none.ok());
  CHECK(none->config.grpc_compression == "none");

  File f(R"({"gateway_addr":"g:1","cert_dir":"/c","grpc_compression":"gzip"})");
  auto file = load_bootstrap(f.path.string(), true, env({}), kNoFlags);
  REQUIRE(file.ok());
  CHECK(file->config.grpc_compression == "gzip");
  CHECK(file->warnings.empty());  // a key this agent uses, not "ignored"
  CHECK(file->origin.at("grpc_compression") == f.path.string());

  auto from_env = base;
  from_env["SR_GRPC_COMPRESSION"] = "gzip";
  auto e = load_bootstrap(f.path.string(), true, env(from_env), kNoFlags);
  REQUIRE(e.ok());
  CHECK(e->origin.at("grpc_compression") == "environment SR_GRPC_COMPRESSION");
  auto flag = load_bootstrap(f.path.string(), true, env(from_env), {{"grpc_compression", "none"}});
  REQUIRE(flag.ok());
  CHECK(flag->config.grpc_compression == "none");  // flags win
  CHECK(flag->origin.at("grpc_compression") == "flag --grpc-compression");

  File bad(R"({"gateway_addr":"g:1","cert_dir":"/c","grpc_compression":"deflate"})");
  CHECK(load_bootstrap(bad.path.string(), true, env({}), kNoFlags).error() ==
        bad.path.string() + ": key 'grpc_compression' must be none or gzip, not 'deflate'");
  File number(R"({"gateway_addr":"g:1","cert_dir":"/c","grpc_compression":1})");
  CHECK(load_bootstrap(number.path.string(), true, env({}), kNoFlags).error() ==
        number.path.string() + ": key 'grpc_compression' must be a string");
  auto bad_env = base;
  bad_env["SR_GRPC_COMPRESSION"] = "GZIP";  // spelled exactly, as config_cache's values
  CHECK(load_bootstrap("", false, env(bad_env), kNoFlags).error() ==
        "environment SR_GRPC_COMPRESSION: must be none or gzip, not 'GZIP'");
  CHECK(load_bootstrap("", false, env(base), {{"grpc_compression", "zstd"}}).error() ==
        "flag --grpc-compression: must be none or gzip, not 'zstd'");
  CHECK(load_bootstrap("", false, env(base), {{"grpc_compression", ""}}).error() ==
        "flag --grpc-compression: must be none or gzip, not ''");
}
