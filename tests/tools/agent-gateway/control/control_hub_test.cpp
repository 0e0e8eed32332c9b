// The control hub without gRPC: config pushes due on the channels of the
// tenants whose store changed, commands queued on an agent's newest stream,
// and what agents answer recorded.
#include "tests/support/temp_dir.hpp"
#include "tools/agent-gateway/control/control_hub.hpp"

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include <fstream>

using namespace sr::gateway;

namespace {

struct Hub {
  sr::test::TempDir temp{"sr-hub-test"};
  boost::asio::io_context io;
  ConfigStore store{temp.path};
  GatewayState state;
  ControlHub hub{io.get_executor(), store, state, {30, 300}};

  void write(const std::string& tenant, const std::string& text) {
    std::ofstream(temp.path / (tenant + ".json"), std::ios::trunc) << text;
  }
  CommandRecord last_command(const AgentKey& key) {
    return state.agents_of(key.tenant).at(key).commands.back();
  }
};

monitoring::CommandRequest command(const std::string& id) {
  monitoring::CommandRequest c;
  c.set_command_id(id);
  c.set_command_type("sync.run_now");
  return c;
}

}  // namespace

TEST_CASE("a store change makes a config push due for that tenant's streams only", "[gateway][control]") {
  Hub h;
  auto acme = h.hub.open_channel({"acme", "a1"});
  auto other = h.hub.open_channel({"other", "o1"});
  h.write("acme", R"({"sources":{"lab":{"type":"faker"}}})");
  CHECK(h.hub.reload_store() == std::vector<std::string>{"acme"});
  CHECK(acme->take_due().config);
  CHECK_FALSE(other->take_due().config);
  // The config carries the intervals; an agent that has it gets not_modified.
  monitoring::AgentConfigResponse resp;
  h.hub.fill_config({"acme", "a1"}, {}, resp);
  CHECK(resp.heartbeat_interval_sec() == 30);
  CHECK(resp.config_poll_interval_sec() == 300);
  CHECK(resp.config_json().find("\"lab\"") != std::string::npos);
  monitoring::AgentConfigResponse again;
  h.hub.fill_config({"acme", "a1"}, resp.config_version(), again);
  CHECK(again.not_modified());
  CHECK(again.config_json().empty());
}

TEST_CASE("commands go to the agent's newest stream, bounded", "[gateway][control]") {
  Hub h;
  const AgentKey key{"acme", "a1"};
  CHECK(h.hub.send_command(key, command("c0")) == ControlHub::CommandQueued::no_stream);
  auto old_stream = h.hub.open_channel(key);
  auto newest = h.hub.open_channel(key);
  CHECK(h.hub.send_command(key, command("c1")) == ControlHub::CommandQueued::yes);
  CHECK(h.last_command(key).state == "queued");
  CHECK(old_stream->take_due().commands.empty());
  CHECK(newest->take_due().commands.size() == 1);
  for (std::size_t i = 0; i < ControlChannel::kMaxQueuedCommands; ++i) h.hub.send_command(key, command("q"));
  CHECK(h.hub.send_command(key, command("over")) == ControlHub::CommandQueued::queue_full);
  CHECK(h.last_command(key).state == "refused");
  h.hub.close_channel(key, newest);
  h.hub.close_channel(key, old_stream);
  CHECK(h.hub.send_command(key, command("c2")) == ControlHub::CommandQueued::no_stream);
}

TEST_CASE("answers on the ControlStream land in the agent's records", "[gateway][control]") {
  Hub h;
  const AgentKey key{"acme", "a1"};
  monitoring::ControlStreamRequest ack;
  ack.mutable_config_ack()->set_config_version("v1");
  h.hub.answered(key, ack);
  CHECK(h.state.agents_of("acme").at(key).config_acked == "v1");
  h.hub.command_sent(key, {"c1", "sync.run_now", "sent", false, ""});
  monitoring::ControlStreamRequest result;
  result.mutable_command_result()->set_command_id("c1");
  result.mutable_command_result()->set_command_type("sync.run_now");
  result.mutable_command_result()->set_success(true);
  h.hub.answered(key, result);
  CHECK(h.last_command(key).state == "done");
  CHECK(h.last_command(key).success);
  h.hub.config_pushed(key, "v2");
  CHECK(h.state.agents_of("acme").at(key).config_sent == "v2");
}
