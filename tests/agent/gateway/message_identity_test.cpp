// MessageIdentity: every message to the gateway carries the same identity;
// a chunk names a partition even when the identity has none.
#include "agent/gateway/agent_identity.hpp"

#include <catch2/catch.hpp>

using namespace sr::agent;

namespace {
const PlatformFacts kHost{"host-1", "Linux", "x86_64"};
}

TEST_CASE("hello, heartbeat and the stream hello carry the identity and host facts", "[agent][gateway]") {
  const MessageIdentity m({"agent-1", "p1", "t1"}, "1.2.3", kHost, true);
  const auto hello = m.hello("v9");
  CHECK(hello.agent_id() == "agent-1");
  CHECK(hello.partition() == "p1");
  CHECK(hello.version() == "1.2.3");
  CHECK(hello.hostname() == "host-1");
  CHECK(hello.os() == "Linux");
  CHECK(hello.arch() == "x86_64");
  CHECK(hello.config_version() == "v9");
  REQUIRE(hello.capabilities_size() == 1);
  CHECK(hello.capabilities(0) == "sync");
  CHECK(hello.labels().count("deployment_type") == 1);

  const auto beat = m.heartbeat("{}");
  CHECK(beat.agent_id() == "agent-1");
  CHECK(beat.partition() == "p1");
  CHECK(beat.timestamp() > 0);
  REQUIRE(beat.services_size() == 1);
  CHECK(beat.services(0).source() == "status");
  CHECK(beat.services(0).agent_id() == "agent-1");
  CHECK(beat.services(0).message() == "{}");

  const auto stream = m.stream_hello("v9");
  CHECK(stream.hello().agent_id() == "agent-1");
  CHECK(stream.hello().hostname() == "host-1");
  CHECK(stream.hello().config_version() == "v9");

  CHECK(m.config_request("v9").agent_id() == "agent-1");
}

TEST_CASE("without the sync runtime nothing is advertised", "[agent][gateway]") {
  const MessageIdentity m({"agent-1", "p1", ""}, "1", kHost, false);
  CHECK(m.hello("").capabilities_size() == 0);
  CHECK(m.stream_hello("").hello().capabilities_size() == 0);
}

TEST_CASE("a chunk says where it belongs and which part of the run it is", "[agent][gateway]") {
  const MessageIdentity m({"agent-1", "", ""}, "1.2.3", kHost, true);
  const auto c = m.chunk("gw-1", "[]", 1, 2);
  CHECK(c.partition() == "default");
  CHECK(c.gateway_id() == "gw-1");
  CHECK(c.chunk_index() == 1);
  CHECK(c.total_chunks() == 2);
  CHECK(c.is_final());
  CHECK(c.hostname() == "host-1");
  REQUIRE(c.services_size() == 1);
  CHECK(c.services(0).source() == "results");
  CHECK(c.services(0).partition() == "default");
  CHECK(c.services(0).gateway_id() == "gw-1");
  CHECK(c.services(0).message() == "[]");
  CHECK_FALSE(m.chunk("gw-1", "[]", 0, 2).is_final());
}
