// Our protos against the wire contract of the deployed agent-gateway:
// exact bytes for a known message, and every field number by name.
#include "monitoring.grpc.pb.h"

#include <catch2/catch.hpp>
#include <google/protobuf/descriptor.h>

#include <string>

namespace pb = google::protobuf;

TEST_CASE("AgentHelloRequest encodes with the contract's field numbers", "[protos][wire]") {
  monitoring::AgentHelloRequest req;
  req.set_agent_id("a");
  req.set_version("1");
  req.add_capabilities("sync");
  req.set_hostname("h");
  req.set_os("o");
  req.set_arch("x");
  req.set_partition("p");
  req.set_config_version("v");
  (*req.mutable_labels())["k"] = "v";
  req.set_config_source("c");

  // Tag byte = field_number << 3 | wire type 2 (length-delimited).
  const char raw[] =
      "\x0a\x01" "a"                          // 1 agent_id
      "\x12\x01" "1"                          // 2 version
      "\x1a\x04" "sync"                       // 3 capabilities
      "\x22\x01" "h"                          // 4 hostname
      "\x2a\x01" "o"                          // 5 os
      "\x32\x01" "x"                          // 6 arch
      "\x3a\x01" "p"                          // 7 partition
      "\x42\x01" "v"                          // 8 config_version
      "\x4a\x06" "\x0a\x01" "k" "\x12\x01" "v"  // 9 labels {k: v}
      "\x52\x01" "c";                         // 10 config_source
  const std::string expected(raw, sizeof raw - 1);
  std::string bytes;
  REQUIRE(req.SerializeToString(&bytes));
  CHECK(bytes == expected);

  monitoring::AgentHelloRequest back;
  REQUIRE(back.ParseFromString(expected));
  CHECK(back.config_version() == "v");
  CHECK(back.labels().at("k") == "v");
}

TEST_CASE("GatewayStatusChunk chunk fields sit at 7, 8, 9 and 13..17", "[protos][wire]") {
  monitoring::GatewayStatusChunk c;
  c.set_is_final(true);
  c.set_chunk_index(2);
  c.set_total_chunks(3);
  c.set_arch("a");
  std::string bytes;
  REQUIRE(c.SerializeToString(&bytes));
  // 7 bool varint (0x38), 8 int32 (0x40), 9 int32 (0x48), 17 string (0x8a 0x01).
  CHECK(bytes == std::string{"\x38\x01\x40\x02\x48\x03\x8a\x01\x01" "a", 10});
}

namespace {

struct Field {
  const char* message;
  const char* name;
  int number;
  pb::FieldDescriptor::Type type;
  bool repeated = false;
};

using T = pb::FieldDescriptor;

// Transcribed from shared/spec/wire-contract.md.
const Field kContract[] = {
    {"AgentHelloRequest", "agent_id", 1, T::TYPE_STRING},
    {"AgentHelloRequest", "version", 2, T::TYPE_STRING},
    {"AgentHelloRequest", "capabilities", 3, T::TYPE_STRING, true},
    {"AgentHelloRequest", "hostname", 4, T::TYPE_STRING},
    {"AgentHelloRequest", "os", 5, T::TYPE_STRING},
    {"AgentHelloRequest", "arch", 6, T::TYPE_STRING},
    {"AgentHelloRequest", "partition", 7, T::TYPE_STRING},
    {"AgentHelloRequest", "config_version", 8, T::TYPE_STRING},
    {"AgentHelloRequest", "labels", 9, T::TYPE_MESSAGE, true},
    {"AgentHelloRequest", "config_source", 10, T::TYPE_STRING},
    {"AgentHelloResponse", "accepted", 1, T::TYPE_BOOL},
    {"AgentHelloResponse", "agent_id", 2, T::TYPE_STRING},
    {"AgentHelloResponse", "message", 3, T::TYPE_STRING},
    {"AgentHelloResponse", "gateway_id", 4, T::TYPE_STRING},
    {"AgentHelloResponse", "server_time", 5, T::TYPE_INT64},
    {"AgentHelloResponse", "heartbeat_interval_sec", 6, T::TYPE_INT32},
    {"AgentHelloResponse", "config_outdated", 7, T::TYPE_BOOL},
    {"AgentConfigRequest", "agent_id", 1, T::TYPE_STRING},
    {"AgentConfigRequest", "config_version", 2, T::TYPE_STRING},
    {"AgentConfigResponse", "not_modified", 1, T::TYPE_BOOL},
    {"AgentConfigResponse", "config_version", 2, T::TYPE_STRING},
    {"AgentConfigResponse", "config_timestamp", 3, T::TYPE_INT64},
    {"AgentConfigResponse", "heartbeat_interval_sec", 4, T::TYPE_INT32},
    {"AgentConfigResponse", "config_poll_interval_sec", 5, T::TYPE_INT32},
    {"AgentConfigResponse", "config_json", 7, T::TYPE_BYTES},
    {"GatewayStatusRequest", "services", 1, T::TYPE_MESSAGE, true},
    {"GatewayStatusRequest", "gateway_id", 2, T::TYPE_STRING},
    {"GatewayStatusRequest", "agent_id", 3, T::TYPE_STRING},
    {"GatewayStatusRequest", "timestamp", 4, T::TYPE_INT64},
    {"GatewayStatusRequest", "partition", 5, T::TYPE_STRING},
    {"GatewayStatusRequest", "source_ip", 6, T::TYPE_STRING},
    {"GatewayStatusRequest", "kv_store_id", 7, T::TYPE_STRING},
    {"GatewayStatusRequest", "config_source", 10, T::TYPE_STRING},
    {"GatewayStatusRequest", "version", 11, T::TYPE_STRING},
    {"GatewayStatusRequest", "hostname", 12, T::TYPE_STRING},
    {"GatewayStatusRequest", "os", 13, T::TYPE_STRING},
    {"GatewayStatusRequest", "arch", 14, T::TYPE_STRING},
    {"GatewayStatusResponse", "received", 1, T::TYPE_BOOL},
    {"GatewayStatusChunk", "services", 1, T::TYPE_MESSAGE, true},
    {"GatewayStatusChunk", "gateway_id", 2, T::TYPE_STRING},
    {"GatewayStatusChunk", "agent_id", 3, T::TYPE_STRING},
    {"GatewayStatusChunk", "timestamp", 4, T::TYPE_INT64},
    {"GatewayStatusChunk", "partition", 5, T::TYPE_STRING},
    {"GatewayStatusChunk", "source_ip", 6, T::TYPE_STRING},
    {"GatewayStatusChunk", "is_final", 7, T::TYPE_BOOL},
    {"GatewayStatusChunk", "chunk_index", 8, T::TYPE_INT32},
    {"GatewayStatusChunk", "total_chunks", 9, T::TYPE_INT32},
    {"GatewayStatusChunk", "kv_store_id", 10, T::TYPE_STRING},
    {"GatewayStatusChunk", "config_source", 13, T::TYPE_STRING},
    {"GatewayStatusChunk", "version", 14, T::TYPE_STRING},
    {"GatewayStatusChunk", "hostname", 15, T::TYPE_STRING},
    {"GatewayStatusChunk", "os", 16, T::TYPE_STRING},
    {"GatewayStatusChunk", "arch", 17, T::TYPE_STRING},
    {"GatewayServiceStatus", "service_name", 1, T::TYPE_STRING},
    {"GatewayServiceStatus", "available", 2, T::TYPE_BOOL},
    {"GatewayServiceStatus", "message", 3, T::TYPE_BYTES},
    {"GatewayServiceStatus", "service_type", 4, T::TYPE_STRING},
    {"GatewayServiceStatus", "response_time", 5, T::TYPE_INT64},
    {"GatewayServiceStatus", "agent_id", 6, T::TYPE_STRING},
    {"GatewayServiceStatus", "gateway_id", 7, T::TYPE_STRING},
    {"GatewayServiceStatus", "partition", 8, T::TYPE_STRING},
    {"GatewayServiceStatus", "source", 9, T::TYPE_STRING},
    {"GatewayServiceStatus", "kv_store_id", 10, T::TYPE_STRING},
    {"ControlStreamRequest", "hello", 1, T::TYPE_MESSAGE},
    {"ControlStreamRequest", "command_ack", 2, T::TYPE_MESSAGE},
    {"ControlStreamRequest", "command_progress", 3, T::TYPE_MESSAGE},
    {"ControlStreamRequest", "command_result", 4, T::TYPE_MESSAGE},
    {"ControlStreamRequest", "config_ack", 5, T::TYPE_MESSAGE},
    {"ControlStreamResponse", "command", 1, T::TYPE_MESSAGE},
    {"ControlStreamResponse", "config", 2, T::TYPE_MESSAGE},
    {"ControlStreamHello", "agent_id", 1, T::TYPE_STRING},
    {"ControlStreamHello", "partition", 2, T::TYPE_STRING},
    {"ControlStreamHello", "capabilities", 3, T::TYPE_STRING, true},
    {"ControlStreamHello", "config_version", 4, T::TYPE_STRING},
    {"ControlStreamHello", "version", 5, T::TYPE_STRING},
    {"ControlStreamHello", "hostname", 6, T::TYPE_STRING},
    {"ControlStreamHello", "os", 7, T::TYPE_STRING},
    {"ControlStreamHello", "arch", 8, T::TYPE_STRING},
    {"ControlStreamHello", "labels", 9, T::TYPE_MESSAGE, true},
    {"ControlStreamHello", "config_source", 10, T::TYPE_STRING},
    {"ConfigAck", "config_version", 1, T::TYPE_STRING},
    {"ConfigAck", "timestamp", 2, T::TYPE_INT64},
    {"CommandRequest", "command_id", 1, T::TYPE_STRING},
    {"CommandRequest", "command_type", 2, T::TYPE_STRING},
    {"CommandRequest", "payload_json", 3, T::TYPE_BYTES},
    {"CommandRequest", "ttl_seconds", 4, T::TYPE_INT64},
    {"CommandRequest", "created_at", 5, T::TYPE_INT64},
    {"CommandAck", "command_id", 1, T::TYPE_STRING},
    {"CommandAck", "command_type", 2, T::TYPE_STRING},
    {"CommandAck", "timestamp", 3, T::TYPE_INT64},
    {"CommandAck", "message", 4, T::TYPE_STRING},
    {"CommandResult", "command_id", 1, T::TYPE_STRING},
    {"CommandResult", "command_type", 2, T::TYPE_STRING},
    {"CommandResult", "success", 3, T::TYPE_BOOL},
    {"CommandResult", "message", 4, T::TYPE_STRING},
    {"CommandResult", "payload_json", 5, T::TYPE_BYTES},
    {"CommandResult", "timestamp", 6, T::TYPE_INT64},
};

}  // namespace

TEST_CASE("every field of the wire contract has its number and type", "[protos][wire]") {
  const auto* pool = pb::DescriptorPool::generated_pool();
  for (const auto& f : kContract) {
    INFO(f.message << "." << f.name);
    const auto* msg = pool->FindMessageTypeByName(std::string("monitoring.") + f.message);
    REQUIRE(msg != nullptr);
    const auto* field = msg->FindFieldByName(f.name);
    REQUIRE(field != nullptr);
    CHECK(field->number() == f.number);
    CHECK(field->type() == f.type);
    CHECK(field->is_repeated() == f.repeated);
  }
}

TEST_CASE("no field number is used outside the contract", "[protos][wire]") {
  const auto* pool = pb::DescriptorPool::generated_pool();
  for (const char* name : {"AgentHelloRequest", "AgentHelloResponse", "AgentConfigRequest",
                           "AgentConfigResponse", "GatewayStatusRequest", "GatewayStatusResponse",
                           "GatewayStatusChunk", "GatewayServiceStatus", "ControlStreamRequest",
                           "ControlStreamResponse", "ControlStreamHello", "ConfigAck",
                           "CommandRequest", "CommandAck", "CommandResult"}) {
    const auto* msg = pool->FindMessageTypeByName(std::string("monitoring.") + name);
    REQUIRE(msg != nullptr);
    for (int i = 0; i < msg->field_count(); ++i) {
      const auto* field = msg->field(i);
      INFO(name << "." << field->name());
      bool listed = false;
      for (const auto& f : kContract)
        listed = listed || (f.message == std::string(name) && f.name == field->name());
      CHECK(listed);
    }
  }
}

TEST_CASE("the service and its method paths are the gateway's", "[protos][wire]") {
  const auto* svc = pb::DescriptorPool::generated_pool()->FindServiceByName(
      "monitoring.AgentGatewayService");
  REQUIRE(svc != nullptr);
  struct Method {
    const char* name;
    bool client_streaming, server_streaming;
  };
  for (const auto& m : {Method{"Hello", false, false}, Method{"GetConfig", false, false},
                        Method{"PushStatus", false, false}, Method{"StreamStatus", true, false},
                        Method{"ControlStream", true, true}}) {
    INFO(m.name);
    const auto* method = svc->FindMethodByName(m.name);
    REQUIRE(method != nullptr);
    CHECK(method->client_streaming() == m.client_streaming);
    CHECK(method->server_streaming() == m.server_streaming);
  }
  CHECK(svc->method_count() == 5);
}
