// The agent's TLS material for a channel to the gateway: the CA that
// verifies the gateway, the client chain and its key, read and checked
// before every connection. gRPC treats empty material as "use defaults"
// (empty roots: its bundled public CAs; an empty key: no client
// certificate), so a file that vanished or was truncated must end the
// attempt with an error naming it, never become an empty string.
#pragma once

#include "base/expected.hpp"
#include "base/read_file.hpp"
#include "net/tls/openssl_handles.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

namespace sr::agent {

struct TlsMaterial {
  std::string ca_pem, cert_pem, key_pem;
  std::string issuer_pem;  // gateway_issuer_file: empty when none is configured
};

namespace tls_material_detail {

using net::tls::bio_of;
using net::tls::KeyPtr;
using net::tls::X509Ptr;

// Never prompts for a passphrase (an encrypted key is refused, not asked about).
inline int no_passphrase(char*, int, int, void*) { return 0; }

inline X509Ptr first_certificate(const std::string& pem) {
  auto bio = bio_of(pem);
  X509Ptr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, no_passphrase, nullptr) : nullptr);
  ERR_clear_error();
  return cert;
}

inline KeyPtr private_key(const std::string& pem) {
  auto bio = bio_of(pem);
  KeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr) : nullptr);
  ERR_clear_error();
  return key;
}

// The file's text, or why not: unreadable, over the size cap, or empty.
inline base::Expected<std::string> read_nonempty(const std::string& path, const char* what) {
  using Result = base::Expected<std::string>;
  if (path.empty()) return Result::failure(std::string("no ") + what + " file configured");
  auto text = base::read_small_file(path);
  if (!text) return Result::failure(text.error() + " (" + what + ")");
  if (text->find_first_not_of(" \t\r\n") == std::string::npos)
    return Result::failure(path + ": is empty (" + what + ")");
  return text;
}

}  // namespace tls_material_detail

// All files read and checked: each holds PEM of the right kind and the key
// belongs to the certificate. `issuer_file` (optional, the gateway issuer
// pin) must hold a certificate too. Errors name the file; never its content.
inline base::Expected<TlsMaterial> read_tls_material(const std::string& ca_file, const std::string& cert_file,
                                                    const std::string& key_file,
                                                    const std::string& issuer_file = "") {
  namespace d = tls_material_detail;
  using Result = base::Expected<TlsMaterial>;
  auto ca = d::read_nonempty(ca_file, "the CA of the gateway");
  if (!ca) return Result::failure(ca.error());
  auto cert = d::read_nonempty(cert_file, "the client certificate");
  if (!cert) return Result::failure(cert.error());
  auto key = d::read_nonempty(key_file, "the private key");
  if (!key) return Result::failure(key.error());
  if (!d::first_certificate(*ca))
    return Result::failure(ca_file + ": no PEM certificate in it (the CA of the gateway)");
  auto leaf = d::first_certificate(*cert);
  if (!leaf) return Result::failure(cert_file + ": no PEM certificate in it (the client certificate)");
  auto pkey = d::private_key(*key);
  if (!pkey) return Result::failure(key_file + ": not a PEM private key (or one with a passphrase)");
  if (X509_check_private_key(leaf.get(), pkey.get()) != 1) {
    ERR_clear_error();
    return Result::failure(key_file + ": does not belong to the certificate in " + cert_file);
  }
  std::string issuer_pem;
  if (!issuer_file.empty()) {
    auto issuer = d::read_nonempty(issuer_file, "gateway_issuer_file");
    if (!issuer) return Result::failure(issuer.error());
    if (!d::first_certificate(*issuer))
      return Result::failure(issuer_file + ": no PEM certificate in it (gateway_issuer_file)");
    issuer_pem = std::move(*issuer);
  }
  return TlsMaterial{std::move(*ca), std::move(*cert), std::move(*key), std::move(issuer_pem)};
}

}  // namespace sr::agent
