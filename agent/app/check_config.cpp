// `serviceradar-agent check-config`: what `run` would start with, printed.
#include "agent/app/commands.hpp"
#include "agent/gateway/agent_identity.hpp"

#include <iostream>

namespace sr::agent {

namespace {

void print_transport(const BootstrapConfig& c) {
  std::cout << "gateway:   " << c.gateway_addr << (c.server_name.empty() ? "" : " (TLS name " + c.server_name + ")")
            << "\n"
            << "streams:   StreamStatus " << (c.grpc_compression == "gzip" ? "gzip-compressed" : "uncompressed")
            << " (grpc_compression)\n";
}

void print_identity(const AgentIdentity& id, const BootstrapConfig& c) {
  std::cout << "agent_id:  " << id.agent_id << "\n"
            << "partition: " << id.partition << "\n"
            << "tenant:    " << (id.tenant.empty() ? "(none: the gateway's default tenant)" : id.tenant)
            << "\n"
            << "transport: " << (c.allow_insecure ? "PLAINTEXT" : "mTLS") << "\n";
  if (!c.allow_insecure)
    std::cout << "cert_file: " << c.cert_file << "\n"
              << "key_file:  " << c.key_file << "\n"
              << "ca_file:   " << c.ca_file << "\n"
              << "issuer:    " << (c.gateway_issuer_file.empty() ? "(not pinned: any CA under ca_file)"
                                                                 : c.gateway_issuer_file)
              << "\n";
}

}  // namespace

int check_config_command(const base::Expected<Bootstrap>& boot) {
  if (!boot) {
    std::cout << "bootstrap: ERROR " << boot.error() << "\n";
    return 1;
  }
  for (const auto& w : boot->warnings) std::cout << "warning: " << w << "\n";
  auto id = identity_from_certificate(boot->config);
  if (!id) {
    std::cout << "identity: ERROR " << id.error() << "\n";
    return 1;
  }
  for (const auto& w : identity_warnings(*boot, *id)) std::cout << "warning: " << w << "\n";
  const auto& c = boot->config;
  print_transport(c);
  print_identity(*id, c);
  std::cout << "log_level: " << c.log_level << "\n"
            << "sync:      " << (c.sync_runtime_enabled ? "enabled" : "disabled (sync_runtime_enabled false)")
            << "\n";
  return 0;
}

}  // namespace sr::agent
