#include "agent/gateway/channel.hpp"

#include "agent/gateway/gateway_pin.hpp"
#include "agent/gateway/tls_material.hpp"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

namespace sr::agent {

base::Expected<std::shared_ptr<grpc::Channel>> make_channel(const BootstrapConfig& c) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt("grpc.use_local_subchannel_pool", 1);  // a fresh connection per session
  if (!c.server_name.empty()) args.SetSslTargetNameOverride(c.server_name);
  if (c.allow_insecure)
    return grpc::CreateCustomChannel(c.gateway_addr, grpc::InsecureChannelCredentials(), args);
  auto material = read_tls_material(c.ca_file, c.cert_file, c.key_file, c.gateway_issuer_file);
  if (!material) return base::Expected<std::shared_ptr<grpc::Channel>>::failure(material.error());
  if (!material->issuer_pem.empty())
    return grpc::CreateCustomChannel(c.gateway_addr,
                                     pinned_credentials(material->ca_pem, material->cert_pem, material->key_pem,
                                                        material->issuer_pem, c.gateway_issuer_file),
                                     args);
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = std::move(material->ca_pem);
  ssl.pem_private_key = std::move(material->key_pem);
  ssl.pem_cert_chain = std::move(material->cert_pem);
  return grpc::CreateCustomChannel(c.gateway_addr, grpc::SslCredentials(ssl), args);
}

}  // namespace sr::agent
