// Reading identities out of certificates: the test PKI from tools/gen-certs
// (one certificate per way of being wrong) and hand-made facts.
#include "net/tls/peer_identity.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace sr::net::tls;

namespace {

std::string pki_file(const std::string& relative) {
  const char* dir = std::getenv("SR_TEST_PKI");
  REQUIRE(dir != nullptr);
  std::ifstream in(std::filesystem::path(dir) / relative, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

CertificateFacts facts(std::string cn, std::vector<std::string> sans) {
  CertificateFacts f;
  f.common_name = std::move(cn);
  f.uri_sans = std::move(sans);
  return f;
}

std::string error_of(const CertificateFacts& f) {
  auto id = identity_from(f);
  REQUIRE_FALSE(id.ok());
  return id.error();
}

}  // namespace

TEST_CASE("a tenant agent certificate yields its identity", "[tls][identity]") {
  auto f = read_certificate(pki_file("agents/agent-1.pem"));
  REQUIRE(f.ok());
  CHECK(f->common_name == "agent-1.default.acme.serviceradar");
  CHECK(f->uri_sans == std::vector<std::string>{"spiffe://serviceradar.local/agent/acme/default/agent-1"});
  CHECK(f->issuer_name == "CN=tenant-acme CA,O=acme");
  auto id = identity_from(*f);
  REQUIRE(id.ok());
  CHECK(id->component_type == "agent");
  CHECK(id->agent_id == "agent-1");
  CHECK(id->partition == "default");
  CHECK(id->tenant == "acme");
}

TEST_CASE("the upstream 3-part form has no tenant", "[tls][identity]") {
  auto id = identity_from(*read_certificate(pki_file("test/legacy.pem")));
  REQUIRE(id.ok());
  CHECK(id->agent_id == "agent-legacy");
  CHECK(id->tenant.empty());
}

TEST_CASE("the test set's broken certificates say what is wrong", "[tls][identity]") {
  CHECK(error_of(*read_certificate(pki_file("test/san-mismatch.pem"))) ==
        "CN and SAN disagree on id ('agent-s' vs 'other-id')");
  CHECK(error_of(*read_certificate(pki_file("test/bad-cn.pem"))) ==
        "CN 'justonelabel' is not <agent_id>.<partition>[.<tenant>].serviceradar");
  auto wrong_type = identity_from(*read_certificate(pki_file("test/wrong-type.pem")));
  REQUIRE(wrong_type.ok());  // the gateway decides what a poller may do
  CHECK(wrong_type->component_type == "poller");
  auto expired = read_certificate(pki_file("test/expired.pem"));
  REQUIRE(expired.ok());
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  CHECK(expired->not_after < now);
}

TEST_CASE("issued_by checks issuer name and signature", "[tls][identity]") {
  const auto leaf = pki_file("agents/agent-1.leaf.pem");
  CHECK(issued_by(leaf, pki_file("ca/tenant-acme.pem")));
  CHECK_FALSE(issued_by(leaf, pki_file("ca/tenant-globex.pem")));
  CHECK_FALSE(issued_by(leaf, pki_file("ca/root.pem")));
  CHECK(issued_by(pki_file("ca/tenant-acme.pem"), pki_file("ca/root.pem")));
  CHECK_FALSE(issued_by(pki_file("test/unknown-ca.leaf.pem"), pki_file("ca/root.pem")));
  CHECK_FALSE(issued_by("garbage", pki_file("ca/root.pem")));
}

TEST_CASE("input that is no certificate is named", "[tls][identity]") {
  CHECK(read_certificate("").error() == "certificate: not PEM");
  CHECK(read_certificate("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
            .error() == "certificate: not PEM");
}

TEST_CASE("CN and SAN shapes", "[tls][identity]") {
  const std::string san4 = "spiffe://serviceradar.local/agent/acme/edge/a1";
  SECTION("extra labels after serviceradar are allowed") {
    auto id = identity_from(facts("a1.edge.acme.serviceradar.local", {san4}));
    REQUIRE(id.ok());
    CHECK(id->tenant == "acme");
  }
  SECTION("no serviceradar label") {
    CHECK(error_of(facts("a1.edge.acme.example", {san4})) ==
          "CN 'a1.edge.acme.example' is not <agent_id>.<partition>[.<tenant>].serviceradar");
  }
  SECTION("too many labels before serviceradar") {
    CHECK_THAT(error_of(facts("x.a1.edge.acme.serviceradar", {san4})),
               Catch::EndsWith("is not <agent_id>.<partition>[.<tenant>].serviceradar"));
  }
  SECTION("an empty label") {
    CHECK(error_of(facts("a1..acme.serviceradar", {san4})) ==
          "CN 'a1..acme.serviceradar' has an empty label");
  }
  SECTION("an uppercase tenant is no slug") {
    CHECK(error_of(facts("a1.edge.Acme.serviceradar", {san4})) ==
          "CN 'a1.edge.Acme.serviceradar': tenant 'Acme' is not a slug of a-z, 0-9 and '-'");
  }
  SECTION("a SAN of another trust domain") {
    CHECK(error_of(facts("a1.edge.acme.serviceradar",
                         {"spiffe://evil.example/agent/acme/edge/a1"})) ==
          "SAN 'spiffe://evil.example/agent/acme/edge/a1': trust domain is not serviceradar.local");
  }
  SECTION("a 3-part SAN against a 4-part CN") {
    CHECK(error_of(facts("a1.edge.acme.serviceradar",
                         {"spiffe://serviceradar.local/agent/edge/a1"})) ==
          "CN and SAN disagree on tenant ('acme' vs '')");
  }
  SECTION("a SAN with too many segments") {
    CHECK_THAT(error_of(facts("a1.edge.acme.serviceradar",
                              {"spiffe://serviceradar.local/agent/x/acme/edge/a1"})),
               Catch::StartsWith("SAN 'spiffe://serviceradar.local/agent/x/acme/edge/a1' is not"));
  }
  SECTION("no SPIFFE SAN at all") {
    CHECK(error_of(facts("a1.edge.acme.serviceradar", {"https://example.com"})) ==
          "no spiffe:// URI SAN");
  }
  SECTION("partition disagreement") {
    CHECK(error_of(facts("a1.core.acme.serviceradar", {san4})) ==
          "CN and SAN disagree on partition ('core' vs 'edge')");
  }
}

TEST_CASE("tenant slugs", "[tls][identity]") {
  CHECK(valid_tenant_slug("acme"));
  CHECK(valid_tenant_slug("a-1"));
  CHECK_FALSE(valid_tenant_slug(""));
  CHECK_FALSE(valid_tenant_slug("-a"));
  CHECK_FALSE(valid_tenant_slug("a_b"));
  CHECK_FALSE(valid_tenant_slug(std::string(64, 'a')));
}
