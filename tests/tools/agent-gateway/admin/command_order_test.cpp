// POST /admin/commands bodies: what is accepted, and errors that name the field.
#include "tools/agent-gateway/admin/command_order.hpp"

#include <catch2/catch.hpp>

using sr::gateway::CommandOrder;
using sr::gateway::parse_command_order;

namespace {

std::string error_of(std::string_view body) {
  auto parsed = parse_command_order(body, 1000, 7);
  auto* e = std::get_if<std::string>(&parsed);
  return e ? *e : "(accepted)";
}

}  // namespace

TEST_CASE("a full command order becomes the CommandRequest the agent gets", "[admin]") {
  auto parsed = parse_command_order(
      R"({"tenant":"acme","agent_id":"a-1","command_type":"sweep.run","command_id":"c-9",
          "payload":{"targets":["10.0.0.0/24"]},"ttl_seconds":60,"created_at":900})",
      1000, 7);
  REQUIRE(std::holds_alternative<CommandOrder>(parsed));
  const auto& o = std::get<CommandOrder>(parsed);
  CHECK(o.agent.tenant == "acme");
  CHECK(o.agent.agent_id == "a-1");
  CHECK(o.request.command_type() == "sweep.run");
  CHECK(o.request.command_id() == "c-9");
  CHECK(o.request.payload_json() == R"({"targets":["10.0.0.0/24"]})");
  CHECK(o.request.ttl_seconds() == 60);
  CHECK(o.request.created_at() == 900);
}

TEST_CASE("defaults: generated id, created now, five minutes to live, no payload", "[admin]") {
  auto parsed =
      parse_command_order(R"({"tenant":"acme","agent_id":"a-1","command_type":"x"})", 1000, 7);
  REQUIRE(std::holds_alternative<CommandOrder>(parsed));
  const auto& r = std::get<CommandOrder>(parsed).request;
  CHECK(r.command_id() == "cmd-1000-7");
  CHECK(r.created_at() == 1000);
  CHECK(r.ttl_seconds() == 300);
  CHECK(r.payload_json().empty());
}

TEST_CASE("bad orders are refused with the field named", "[admin]") {
  CHECK_THAT(error_of("{"), Catch::StartsWith("the body is not JSON: "));
  CHECK(error_of("[1]") == "the body must be a JSON object");
  CHECK(error_of(R"({"agent_id":"a","command_type":"x"})") == R"("tenant" is required)");
  CHECK(error_of(R"({"tenant":"t","agent_id":"","command_type":"x"})") ==
        R"("agent_id" must be a non-empty string)");
  CHECK(error_of(R"({"tenant":"t","agent_id":"a","command_type":5})") ==
        R"("command_type" must be a non-empty string)");
  CHECK(error_of(R"({"tenant":"t","agent_id":"a","command_type":"x","ttl_seconds":"9"})") ==
        R"("ttl_seconds" must be an integer)");
  CHECK(error_of(R"({"tenant":"t","agent_id":"a","command_type":"x","ttl_seconds":0})") ==
        R"("ttl_seconds" must be 1..86400, not 0)");
  CHECK(error_of(R"({"tenant":"t","agent_id":"a","command_type":"x","created_at":-1})") ==
        R"("created_at" must not be negative)");
  CHECK(error_of(R"({"tenant":"t","agent_id":"a","command_type":"x","tennant":"y"})") ==
        R"(unknown field "tennant")");
}
