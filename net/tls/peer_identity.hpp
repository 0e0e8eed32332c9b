// Reading a ServiceRadar identity out of an X.509 certificate: the facts
// (CN, URI SANs, validity) and what they mean (component type, id, partition,
// tenant). Pure functions over PEM text; the agent uses them to learn its own
// identity, the reference gateway to learn its caller's.
#pragma once

#include "base/expected.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sr::net::tls {

struct CertificateFacts {
  std::string common_name;
  std::vector<std::string> uri_sans;
  std::string subject_name, issuer_name;      // one-line RFC 2253
  std::int64_t not_before = 0, not_after = 0;  // Unix seconds
  std::string serial;                          // upper-case hex
};

// The first certificate in `pem`. Errors start with "certificate: ".
base::Expected<CertificateFacts> read_certificate(std::string_view pem);

struct PeerIdentity {
  std::string component_type;  // from the SPIFFE SAN, e.g. "agent"
  std::string agent_id, partition;
  std::string tenant;  // empty for the 3-part CN of the upstream form
};

// CN `<id>.<partition>[.<tenant>].serviceradar[.more]` and URI SAN
// `spiffe://serviceradar.local/<type>[/<tenant>]/<partition>/<id>`; CN and
// SAN must agree. Errors name the field and both values.
base::Expected<PeerIdentity> identity_from(const CertificateFacts& facts);

// Whether the first certificate of `leaf_pem` was issued and signed by the
// first certificate of `ca_pem`.
bool issued_by(std::string_view leaf_pem, std::string_view ca_pem);

// Tenant slugs: [a-z0-9-], 1..63 characters, no leading or trailing dash.
bool valid_tenant_slug(std::string_view slug);

}  // namespace sr::net::tls
