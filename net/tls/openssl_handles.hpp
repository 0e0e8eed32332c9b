// Owning handles for the OpenSSL objects the agent and the gateway read
// certificates and keys with: one deleter, so every unique_ptr frees its
// object with the matching *_free.
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <memory>
#include <string_view>

namespace sr::net::tls {

struct OpensslFree {
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
  // The stack only: its certificates are owned elsewhere.
  void operator()(STACK_OF(X509) * p) const { sk_X509_free(p); }
};

using BioPtr = std::unique_ptr<BIO, OpensslFree>;
using X509Ptr = std::unique_ptr<X509, OpensslFree>;
using KeyPtr = std::unique_ptr<EVP_PKEY, OpensslFree>;
using X509StorePtr = std::unique_ptr<X509_STORE, OpensslFree>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, OpensslFree>;
using X509StackPtr = std::unique_ptr<STACK_OF(X509), OpensslFree>;  // shallow: see above

// A read-only memory BIO over `text`, which must outlive it; null on failure.
inline BioPtr bio_of(std::string_view text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

}  // namespace sr::net::tls
