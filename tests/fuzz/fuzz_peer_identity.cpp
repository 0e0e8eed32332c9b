// Certificate identity: PEM from a peer, and the CN / SPIFFE SAN rules on
// any text (first line the CN, the others URI SANs).
#include "net/tls/peer_identity.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)sr::net::tls::read_certificate(text);
  sr::net::tls::CertificateFacts facts;
  std::size_t start = 0;
  bool first = true;
  while (start <= text.size()) {
    const auto nl = text.find('\n', start);
    const auto line = text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    if (first) facts.common_name = std::string(line);
    else facts.uri_sans.emplace_back(line);
    first = false;
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  (void)sr::net::tls::identity_from(facts);
  (void)sr::net::tls::valid_tenant_slug(text);
  return 0;
}
