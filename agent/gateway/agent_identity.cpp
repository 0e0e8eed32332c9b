#include "agent/gateway/agent_identity.hpp"

#include "agent/gateway/tls_material.hpp"
#include "base/clock.hpp"
#include "net/tls/peer_identity.hpp"

#include <fmt/core.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

namespace sr::agent {

namespace {

std::string hostname() {
  char buf[256] = {};
  ::gethostname(buf, sizeof buf - 1);
  return buf;
}

std::string deployment_type() {
  if (std::getenv("KUBERNETES_SERVICE_HOST")) return "kubernetes";
  if (std::ifstream("/.dockerenv").good()) return "docker";
  return "bare-metal";
}

}  // namespace

PlatformFacts platform_facts() {
  utsname u{};
  ::uname(&u);
  return {hostname(), u.sysname, u.machine};
}

base::Expected<AgentIdentity> identity_from_certificate(const BootstrapConfig& c) {
  using Result = base::Expected<AgentIdentity>;
  if (c.allow_insecure && c.cert_file.empty()) {
    if (c.agent_id.empty()) return Result::failure("allow_insecure without a certificate needs agent_id");
    return AgentIdentity{c.agent_id, c.partition.empty() ? "default" : c.partition, ""};
  }
  // The same checks as every connection makes: at start-up (and on SIGHUP) a
  // file that cannot be used is refused, naming it.
  auto material = read_tls_material(c.ca_file, c.cert_file, c.key_file, c.gateway_issuer_file);
  if (!material) return Result::failure(material.error());
  auto facts = net::tls::read_certificate(material->cert_pem);
  if (!facts) return Result::failure(c.cert_file + ": " + facts.error());
  auto id = net::tls::identity_from(*facts);
  if (!id) return Result::failure(c.cert_file + ": " + id.error());
  if (id->component_type != "agent")
    return Result::failure(fmt::format("{}: component type '{}' is not an agent certificate",
                                       c.cert_file, id->component_type));
  if (facts->not_after < base::unix_now())
    return Result::failure(c.cert_file + ": the certificate has expired");
  return AgentIdentity{id->agent_id, id->partition, id->tenant};
}

std::vector<std::string> identity_warnings(const Bootstrap& boot, const AgentIdentity& id) {
  const auto& c = boot.config;
  std::vector<std::string> out;
  if (c.allow_insecure && c.cert_file.empty()) return out;  // the bootstrap is the identity
  auto check = [&](const char* key, const std::string& configured, const std::string& actual) {
    if (configured.empty() || configured == actual) return;
    auto it = boot.origin.find(key);
    out.push_back(fmt::format("{} '{}' in {} differs from the certificate's '{}'; the certificate is the identity",
                              key, configured, it == boot.origin.end() ? "the bootstrap" : it->second, actual));
  };
  check("agent_id", c.agent_id, id.agent_id);
  check("partition", c.partition, id.partition);
  return out;
}

std::vector<std::string> hello_capabilities(bool sync_enabled) {
  if (!sync_enabled) return {};
  return {"sync"};
}

std::string heartbeat_message(const std::string& config_version, bool sync_enabled,
                              const std::string& status_json) {
  std::string out = fmt::format(R"({{"config_version":"{}")", config_version);
  if (!sync_enabled) out += R"(,"sync_runtime_enabled":false)";
  // status_json is an object: its members follow ours.
  const auto open = status_json.find('{');
  const auto rest = open == std::string::npos ? std::string("}") : status_json.substr(open + 1);
  const bool empty = rest.find_first_not_of(" \t\r\n") == rest.find('}');
  return out + (empty ? "" : ",") + rest;
}

MessageIdentity::MessageIdentity(AgentIdentity id, std::string version, PlatformFacts facts, bool sync_enabled)
    : id_(std::move(id)), version_(std::move(version)), facts_(std::move(facts)), sync_enabled_(sync_enabled) {}

void MessageIdentity::service(monitoring::GatewayServiceStatus& s, const char* source,
                              const std::string& partition, std::string message) const {
  s.set_service_name("sync");
  s.set_service_type("sync");
  s.set_source(source);
  s.set_available(true);
  s.set_agent_id(id_.agent_id);
  s.set_partition(partition);
  s.set_message(std::move(message));
}

monitoring::AgentHelloRequest MessageIdentity::hello(const std::string& config_version) const {
  monitoring::AgentHelloRequest h;
  h.set_agent_id(id_.agent_id);
  h.set_version(version_);
  for (const auto& c : hello_capabilities(sync_enabled_)) h.add_capabilities(c);
  h.set_hostname(facts_.hostname);
  h.set_os(facts_.os);
  h.set_arch(facts_.arch);
  h.set_partition(id_.partition);
  h.set_config_version(config_version);
  (*h.mutable_labels())["deployment_type"] = deployment_type();
  return h;
}

monitoring::AgentConfigRequest MessageIdentity::config_request(const std::string& config_version) const {
  monitoring::AgentConfigRequest req;
  req.set_agent_id(id_.agent_id);
  req.set_config_version(config_version);
  return req;
}

monitoring::GatewayStatusRequest MessageIdentity::heartbeat(std::string message) const {
  monitoring::GatewayStatusRequest req;
  req.set_agent_id(id_.agent_id);
  req.set_partition(id_.partition);
  req.set_timestamp(base::unix_now());
  req.set_version(version_);
  req.set_hostname(facts_.hostname);
  req.set_os(facts_.os);
  req.set_arch(facts_.arch);
  service(*req.add_services(), "status", id_.partition, std::move(message));
  return req;
}

monitoring::ControlStreamRequest MessageIdentity::stream_hello(const std::string& config_version) const {
  monitoring::ControlStreamRequest req;
  auto* h = req.mutable_hello();
  h->set_agent_id(id_.agent_id);
  h->set_partition(id_.partition);
  for (const auto& c : hello_capabilities(sync_enabled_)) h->add_capabilities(c);
  h->set_config_version(config_version);
  h->set_version(version_);
  h->set_hostname(facts_.hostname);
  return req;
}

monitoring::GatewayStatusChunk MessageIdentity::chunk(const std::string& gateway_id, std::string message,
                                                      std::int32_t index, std::int32_t total) const {
  // Chunks name a partition even when the identity has none.
  const std::string partition = id_.partition.empty() ? "default" : id_.partition;
  monitoring::GatewayStatusChunk c;
  auto* svc = c.add_services();
  service(*svc, "results", partition, std::move(message));
  svc->set_gateway_id(gateway_id);
  c.set_gateway_id(gateway_id);
  c.set_agent_id(id_.agent_id);
  c.set_timestamp(base::unix_now());
  c.set_partition(partition);
  c.set_chunk_index(index);
  c.set_total_chunks(total);
  c.set_is_final(index + 1 == total);
  c.set_version(version_);
  c.set_hostname(facts_.hostname);
  c.set_os(facts_.os);
  c.set_arch(facts_.arch);
  return c;
}

}  // namespace sr::agent
