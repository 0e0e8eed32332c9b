// Optional pin of the gateway's issuer (bootstrap gateway_issuer_file): on
// top of the usual checks (chain to ca_file, name), the gateway's own
// certificate must be signed directly by one of the CAs in that file.
//
// Why: ca_file is often the root of a PKI that also issues agent (tenant)
// CAs. Whoever holds such a CA's key can make a certificate for the gateway's
// name that chains to the same root, unless the CA is restricted
// (extendedKeyUsage=clientAuth, as tools/gen-certs makes them). A name or
// SPIFFE ID pin does not help against that holder (they choose the names);
// pinning the signing key does, with any PKI whose gateway certificate comes
// from a CA (or the root itself) that issues no agent CAs.
#pragma once

#include "net/grpc_bridge/tsan_handoff.hpp"
#include "net/tls/peer_identity.hpp"

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <memory>
#include <string>
#include <vector>

namespace sr::agent {

// Every PEM certificate block of `pem`, each as its own text.
inline std::vector<std::string> pem_certificates(const std::string& pem) {
  static const std::string begin = "-----BEGIN CERTIFICATE-----", end = "-----END CERTIFICATE-----";
  std::vector<std::string> out;
  for (auto at = pem.find(begin); at != std::string::npos; at = pem.find(begin, at)) {
    const auto stop = pem.find(end, at);
    if (stop == std::string::npos) break;
    out.push_back(pem.substr(at, stop + end.size() - at) + "\n");
    at = stop;
  }
  return out;
}

// Whether one of `issuers` signed the first certificate of `leaf_pem`.
inline bool signed_by_any(const std::string& leaf_pem, const std::vector<std::string>& issuers) {
  for (const auto& ca : issuers)
    if (net::tls::issued_by(leaf_pem, ca)) return true;
  return false;
}

// gRPC's hostname check, then the issuer pin; synchronous.
class GatewayIssuerVerifier : public grpc::experimental::ExternalCertificateVerifier {
 public:
  // Built here, then used and destroyed on gRPC's threads: the handoffs
  // state gRPC's ordering for TSan, which cannot see it (tsan_handoff.hpp).
  GatewayIssuerVerifier(std::vector<std::string> issuers, std::string file)
      : issuers_(std::move(issuers)), file_(std::move(file)) {
    grpc_bridge::detail::handoff_to_grpc();
  }
  ~GatewayIssuerVerifier() override { grpc_bridge::detail::handoff_from_grpc(); }

  bool Verify(grpc::experimental::TlsCustomVerificationCheckRequest* request,
              std::function<void(grpc::Status)>, grpc::Status* sync_status) override {
    grpc_bridge::detail::handoff_from_grpc();
    // Setting a verifier replaces gRPC's default one, the hostname check: keep it.
    grpc::Status host;
    if (!hostname_.Verify(request, [](grpc::Status) {}, &host)) {
      *sync_status = grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "gateway name check did not complete");
      return true;
    }
    if (!host.ok()) {
      *sync_status = host;
      return true;
    }
    const std::string leaf(request->peer_cert().data(), request->peer_cert().size());
    *sync_status = signed_by_any(leaf, issuers_)
                       ? grpc::Status::OK
                       : grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                                      "the gateway's certificate is not signed by a CA in gateway_issuer_file " + file_);
    return true;
  }
  void Cancel(grpc::experimental::TlsCustomVerificationCheckRequest*) override {}

 private:
  std::vector<std::string> issuers_;
  std::string file_;
  grpc::experimental::HostNameCertificateVerifier hostname_;
};

// mTLS credentials that also pin the gateway's issuer. `issuer_pem` holds at
// least one certificate (the caller checked).
inline std::shared_ptr<grpc::ChannelCredentials> pinned_credentials(const std::string& ca_pem,
                                                                    const std::string& cert_pem,
                                                                    const std::string& key_pem,
                                                                    const std::string& issuer_pem,
                                                                    const std::string& issuer_file) {
  namespace ex = grpc::experimental;
  ex::TlsChannelCredentialsOptions options;
  options.set_certificate_provider(std::make_shared<ex::StaticDataCertificateProvider>(
      ca_pem, std::vector<ex::IdentityKeyCertPair>{{key_pem, cert_pem}}));
  options.watch_root_certs();
  options.watch_identity_key_cert_pairs();
  options.set_verify_server_certs(true);
  options.set_certificate_verifier(
      ex::ExternalCertificateVerifier::Create<GatewayIssuerVerifier>(pem_certificates(issuer_pem), issuer_file));
  return ex::TlsCredentials(options);
}

}  // namespace sr::agent
