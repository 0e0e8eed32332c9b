#include "net/tls/peer_identity.hpp"

#include "net/tls/openssl_handles.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <memory>

namespace sr::net::tls {

namespace {

X509Ptr first_certificate(std::string_view pem) {
  auto bio = bio_of(pem);
  X509Ptr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  ERR_clear_error();
  return cert;
}

std::string utf8(const ASN1_STRING* s) {
  unsigned char* out = nullptr;
  const int n = ASN1_STRING_to_UTF8(&out, s);
  if (n < 0) return {};
  std::string text(reinterpret_cast<char*>(out), static_cast<std::size_t>(n));
  OPENSSL_free(out);
  return text;
}

std::string common_name(X509* cert) {
  X509_NAME* subject = X509_get_subject_name(cert);
  const int at = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (at < 0) return {};
  return utf8(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, at)));
}

std::vector<std::string> uri_sans(X509* cert) {
  std::vector<std::string> out;
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (!names) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type == GEN_URI) out.push_back(utf8(name->d.uniformResourceIdentifier));
  }
  GENERAL_NAMES_free(names);
  return out;
}

std::string one_line(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) return {};
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::int64_t unix_time(const ASN1_TIME* t) {
  std::tm tm{};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<std::int64_t>(timegm(&tm));
}

std::vector<std::string> split(std::string_view text, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const auto at = text.find(sep, start);
    out.emplace_back(text.substr(start, at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

struct Claim {
  std::string type, tenant, partition, id;
};

base::Expected<Claim> claim_from_cn(const std::string& cn) {
  const auto labels = split(cn, '.');
  std::size_t marker = 0;
  while (marker < labels.size() && labels[marker] != "serviceradar") ++marker;
  const std::string shape = "is not <agent_id>.<partition>[.<tenant>].serviceradar";
  if (marker == labels.size() || (marker != 2 && marker != 3))
    return base::Expected<Claim>::failure("CN '" + cn + "' " + shape);
  for (std::size_t i = 0; i < marker; ++i)
    if (labels[i].empty()) return base::Expected<Claim>::failure("CN '" + cn + "' has an empty label");
  Claim c{"", marker == 3 ? labels[2] : "", labels[1], labels[0]};
  if (!c.tenant.empty() && !valid_tenant_slug(c.tenant))
    return base::Expected<Claim>::failure("CN '" + cn + "': tenant '" + c.tenant +
                                    "' is not a slug of a-z, 0-9 and '-'");
  return c;
}

base::Expected<Claim> claim_from_san(const std::vector<std::string>& uris) {
  const std::string prefix = "spiffe://";
  for (const auto& uri : uris) {
    if (uri.rfind(prefix, 0) != 0) continue;
    auto parts = split(std::string_view(uri).substr(prefix.size()), '/');
    if (parts.front() != "serviceradar.local")
      return base::Expected<Claim>::failure("SAN '" + uri + "': trust domain is not serviceradar.local");
    parts.erase(parts.begin());
    for (const auto& p : parts)
      if (p.empty()) return base::Expected<Claim>::failure("SAN '" + uri + "' has an empty segment");
    if (parts.size() == 3) return Claim{parts[0], "", parts[1], parts[2]};
    if (parts.size() == 4) return Claim{parts[0], parts[1], parts[2], parts[3]};
    return base::Expected<Claim>::failure("SAN '" + uri +
                                    "' is not spiffe://serviceradar.local/<type>[/<tenant>]/"
                                    "<partition>/<id>");
  }
  return base::Expected<Claim>::failure("no spiffe:// URI SAN");
}

}  // namespace

bool valid_tenant_slug(std::string_view slug) {
  if (slug.empty() || slug.size() > 63 || slug.front() == '-' || slug.back() == '-') return false;
  for (char c : slug)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}

base::Expected<CertificateFacts> read_certificate(std::string_view pem) {
  auto cert = first_certificate(pem);
  if (!cert) return base::Expected<CertificateFacts>::failure("certificate: not PEM");
  CertificateFacts facts;
  facts.common_name = common_name(cert.get());
  facts.uri_sans = uri_sans(cert.get());
  facts.subject_name = one_line(X509_get_subject_name(cert.get()));
  facts.issuer_name = one_line(X509_get_issuer_name(cert.get()));
  facts.not_before = unix_time(X509_get0_notBefore(cert.get()));
  facts.not_after = unix_time(X509_get0_notAfter(cert.get()));
  if (BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr)) {
    if (char* hex = BN_bn2hex(bn)) {
      facts.serial = hex;
      OPENSSL_free(hex);
    }
    BN_free(bn);
  }
  if (facts.common_name.empty())
    return base::Expected<CertificateFacts>::failure("certificate: no subject CN");
  return facts;
}

base::Expected<PeerIdentity> identity_from(const CertificateFacts& facts) {
  auto cn = claim_from_cn(facts.common_name);
  if (!cn) return base::Expected<PeerIdentity>::failure(cn.error());
  auto san = claim_from_san(facts.uri_sans);
  if (!san) return base::Expected<PeerIdentity>::failure(san.error());
  const auto disagree = [](const char* field, const std::string& a, const std::string& b) {
    return base::Expected<PeerIdentity>::failure(std::string("CN and SAN disagree on ") + field +
                                           " ('" + a + "' vs '" + b + "')");
  };
  if (cn->id != san->id) return disagree("id", cn->id, san->id);
  if (cn->partition != san->partition) return disagree("partition", cn->partition, san->partition);
  if (cn->tenant != san->tenant) return disagree("tenant", cn->tenant, san->tenant);
  return PeerIdentity{san->type, cn->id, cn->partition, cn->tenant};
}

bool issued_by(std::string_view leaf_pem, std::string_view ca_pem) {
  auto leaf = first_certificate(leaf_pem);
  auto ca = first_certificate(ca_pem);
  if (!leaf || !ca || X509_check_issued(ca.get(), leaf.get()) != X509_V_OK) return false;
  EVP_PKEY* key = X509_get0_pubkey(ca.get());
  const bool ok = key && X509_verify(leaf.get(), key) == 1;
  ERR_clear_error();
  return ok;
}

}  // namespace sr::net::tls
