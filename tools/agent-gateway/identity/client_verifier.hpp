// Who is calling: the verified client certificate, and nothing the client
// says about itself. The TLS layer only proves the client holds the key of the
// certificate it presented (the server requests a certificate without having
// gRPC verify it) so that every rejection can name its reason as a gRPC
// status, as the wire contract lists them:
//   UNAUTHENTICATED    no certificate, unknown CA, expired, unreadable CN/SAN,
//                      a tenant CA issuing another tenant or the reserved
//                      tenant "platform";
//   PERMISSION_DENIED  component type other than "agent".
// (agent_id mismatches are checked per request by the service.) The
// certificate is mandatory: a call without one is refused, as a status.
#pragma once

#include "net/tls/peer_identity.hpp"

#include <grpcpp/support/status.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace sr::gateway {

struct Caller {
  grpc::Status status;              // OK when the identity below is usable
  net::tls::PeerIdentity identity;  // tenant always set when status is OK
};

class ClientVerifier {
 public:
  // `ca_dir` holds root.pem (the trust anchor) and tenant-<slug>.pem, one
  // intermediate CA per tenant (the layout tools/gen-certs writes).
  // Throws std::runtime_error naming the file on unreadable input: the
  // gateway cannot start without its trust anchors.
  ClientVerifier(const std::filesystem::path& ca_dir, std::string default_tenant);
  ~ClientVerifier();
  ClientVerifier(const ClientVerifier&) = delete;
  ClientVerifier& operator=(const ClientVerifier&) = delete;

  // `chain_pem`: the peer's certificate chain as gRPC reports it (leaf first),
  // empty when the client sent none. `now`: Unix seconds.
  Caller verify(std::string_view chain_pem, std::int64_t now) const;

  const std::string& default_tenant() const noexcept { return default_tenant_; }
  std::size_t tenant_count() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string default_tenant_;
};

// The reserved slug of the platform's own identities.
inline constexpr std::string_view kPlatformTenant = "platform";

}  // namespace sr::gateway
