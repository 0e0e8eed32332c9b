#include "tools/agent-gateway/identity/client_verifier.hpp"

#include "base/read_file.hpp"
#include "net/tls/openssl_handles.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <fstream>
#include <optional>
#include <stdexcept>
#include <vector>

namespace sr::gateway {

namespace {

using net::tls::X509Ptr;

std::vector<X509Ptr> read_pem_certificates(std::string_view pem) {
  std::vector<X509Ptr> out;
  auto bio = net::tls::bio_of(pem);
  if (!bio) return out;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr))
    out.emplace_back(cert);
  ERR_clear_error();  // the loop ends on an expected "no start line"
  return out;
}

X509Ptr read_one_certificate(const std::filesystem::path& path) {
  auto certs = read_pem_certificates(base::read_file_or_throw(path));
  if (certs.empty()) throw std::runtime_error(path.string() + ": no PEM certificate in it");
  return std::move(certs.front());
}

grpc::Status unauthenticated(std::string why) {
  return {grpc::StatusCode::UNAUTHENTICATED, std::move(why)};
}

std::string subject_of(X509* cert) {
  char buf[256];
  X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof buf);
  return buf;
}

}  // namespace

struct ClientVerifier::Impl {
  net::tls::X509StorePtr store{X509_STORE_new()};
  X509Ptr root;
  std::map<std::string, X509Ptr> tenant_cas;  // slug -> intermediate CA

  // Which tenant's CA issued the leaf of a verified chain: "" for the root
  // itself, nullopt for an intermediate that belongs to no tenant.
  std::optional<std::string> issuing_tenant(STACK_OF(X509) * chain) const {
    if (sk_X509_num(chain) < 3) return std::string();
    X509* issuer = sk_X509_value(chain, 1);
    for (const auto& [slug, ca] : tenant_cas)
      if (X509_cmp(issuer, ca.get()) == 0) return slug;
    return std::nullopt;
  }
};

ClientVerifier::ClientVerifier(const std::filesystem::path& ca_dir, std::string default_tenant)
    : impl_(std::make_unique<Impl>()), default_tenant_(std::move(default_tenant)) {
  impl_->root = read_one_certificate(ca_dir / "root.pem");
  if (!impl_->store || X509_STORE_add_cert(impl_->store.get(), impl_->root.get()) != 1)
    throw std::runtime_error("cannot use " + (ca_dir / "root.pem").string() + " as trust anchor");
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(ca_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("tenant-", 0) != 0 || entry.path().extension() != ".pem") continue;
    std::string slug = entry.path().stem().string().substr(7);
    if (slug == kPlatformTenant)
      throw std::runtime_error(entry.path().string() + ": tenant 'platform' is reserved");
    impl_->tenant_cas.emplace(std::move(slug), read_one_certificate(entry.path()));
  }
  if (ec) throw std::runtime_error("cannot list " + ca_dir.string() + ": " + ec.message());
}

ClientVerifier::~ClientVerifier() = default;

std::size_t ClientVerifier::tenant_count() const noexcept { return impl_->tenant_cas.size(); }

namespace {

// The tenant the certificate claims against the CA that issued it
// (`issuer`: a tenant slug, "" for the root).
Caller tenant_checked(Caller caller, const std::string& issuer, const std::string& default_tenant) {
  if (caller.identity.tenant.empty()) {
    // The upstream 3-part form: the default tenant, from the root or its CA.
    if (!issuer.empty() && issuer != default_tenant)
      return {unauthenticated("certificate without a tenant label issued by tenant '" + issuer +
                              "' CA; only the root or the default tenant's CA may issue it"),
              caller.identity};
    caller.identity.tenant = default_tenant;
    return caller;
  }
  if (issuer.empty())
    return {unauthenticated("certificate claims tenant '" + caller.identity.tenant +
                            "' but was not issued by that tenant's CA"),
            caller.identity};
  if (issuer != caller.identity.tenant)
    return {unauthenticated("certificate claims tenant '" + caller.identity.tenant +
                            "' but was issued by tenant '" + issuer + "' CA"),
            caller.identity};
  return caller;
}

}  // namespace

Caller ClientVerifier::verify(std::string_view chain_pem, std::int64_t now) const {
  if (chain_pem.empty()) return {unauthenticated("no client certificate"), {}};
  auto presented = read_pem_certificates(chain_pem);
  if (presented.empty()) return {unauthenticated("client certificate: not PEM"), {}};

  // Intermediates: what the client sent plus every tenant CA we know, so a
  // client that sends only its leaf still verifies.
  net::tls::X509StackPtr untrusted(sk_X509_new_null());  // certificates owned elsewhere
  for (std::size_t i = 1; i < presented.size(); ++i)
    sk_X509_push(untrusted.get(), presented[i].get());
  for (const auto& [slug, ca] : impl_->tenant_cas) sk_X509_push(untrusted.get(), ca.get());

  net::tls::X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), impl_->store.get(), presented.front().get(),
                                  untrusted.get()) != 1)
    return {grpc::Status(grpc::StatusCode::INTERNAL, "cannot set up certificate verification"), {}};
  X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_CLIENT);
  X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx.get()), static_cast<time_t>(now));
  if (X509_verify_cert(ctx.get()) != 1) {
    const int err = X509_STORE_CTX_get_error(ctx.get());
    return {unauthenticated(std::string("client certificate rejected: ") +
                            X509_verify_cert_error_string(err)),
            {}};
  }

  auto facts = net::tls::read_certificate(chain_pem);
  if (!facts) return {unauthenticated("client certificate: " + facts.error()), {}};
  auto id = net::tls::identity_from(*facts);
  if (!id) return {unauthenticated("client certificate: " + id.error()), {}};
  Caller caller{grpc::Status::OK, std::move(*id)};

  if (caller.identity.component_type != "agent")
    return {grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                         "component type '" + caller.identity.component_type +
                             "' may not use the agent gateway"),
            caller.identity};
  if (caller.identity.tenant == kPlatformTenant)
    return {unauthenticated("tenant 'platform' is reserved and cannot be issued to an agent"),
            caller.identity};

  const auto issuer = impl_->issuing_tenant(X509_STORE_CTX_get0_chain(ctx.get()));
  if (!issuer) {
    return {unauthenticated("client certificate issued by an intermediate CA of no tenant: " +
                            subject_of(sk_X509_value(X509_STORE_CTX_get0_chain(ctx.get()), 1))),
            caller.identity};
  }
  return tenant_checked(std::move(caller), *issuer, default_tenant_);
}

}  // namespace sr::gateway
