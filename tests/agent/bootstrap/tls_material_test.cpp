// The agent's TLS files, as every connection reads them: a missing, empty or
// wrong file is an error naming it (never empty material, which gRPC would
// take as "public roots" or "no client certificate"), and no error shows
// the key.
#include "agent/gateway/tls_material.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

using sr::agent::read_tls_material;
namespace fs = std::filesystem;

namespace {

struct Files {
  sr::test::TempDir dir{"sr-tls-material"};
  std::string ca = (dir.path / "ca.pem").string(), cert = (dir.path / "agent.pem").string(),
              key = (dir.path / "agent.key").string();
  Files() {
    const auto pki = sr::test::test_pki();
    fs::copy_file(pki / "agents" / "ca.pem", ca);
    fs::copy_file(pki / "agents" / "agent-2.pem", cert);
    fs::copy_file(pki / "agents" / "agent-2.key", key);
  }
  auto read() const { return read_tls_material(ca, cert, key); }
};

void write(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::trunc) << text; }

}  // namespace

TEST_CASE("good files are read whole", "[agent][tls]") {
  Files f;
  auto m = f.read();
  REQUIRE(m.ok());
  CHECK(m->ca_pem.find("BEGIN CERTIFICATE") != std::string::npos);
  CHECK(m->cert_pem.find("BEGIN CERTIFICATE") != std::string::npos);
  CHECK(m->key_pem.find("PRIVATE KEY") != std::string::npos);
}

TEST_CASE("a missing, empty or wrong file is an error naming it", "[agent][tls]") {
  Files f;
  const std::string key_text = [&] {
    std::ifstream in(f.key);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  SECTION("missing key") {
    fs::remove(f.key);
    CHECK(f.read().error() == f.key + ": cannot open (No such file or directory) (the private key)");
  }
  SECTION("missing CA") {
    fs::remove(f.ca);
    CHECK(f.read().error() == f.ca + ": cannot open (No such file or directory) (the CA of the gateway)");
  }
  SECTION("empty CA") {
    write(f.ca, "\n");
    CHECK(f.read().error() == f.ca + ": is empty (the CA of the gateway)");
  }
  SECTION("empty certificate") {
    write(f.cert, "");
    CHECK(f.read().error() == f.cert + ": is empty (the client certificate)");
  }
  SECTION("CA that is not PEM") {
    write(f.ca, "not a certificate\n");
    CHECK(f.read().error() == f.ca + ": no PEM certificate in it (the CA of the gateway)");
  }
  SECTION("certificate file holding a key") {
    write(f.cert, key_text);
    CHECK(f.read().error() == f.cert + ": no PEM certificate in it (the client certificate)");
  }
  SECTION("key file holding a certificate") {
    fs::copy_file(f.ca, f.key, fs::copy_options::overwrite_existing);
    CHECK(f.read().error() == f.key + ": not a PEM private key (or one with a passphrase)");
  }
  SECTION("another agent's key") {
    fs::copy_file(sr::test::test_pki() / "agents" / "agent-1.key", f.key, fs::copy_options::overwrite_existing);
    const auto r = f.read();
    CHECK(r.error() == f.key + ": does not belong to the certificate in " + f.cert);
  }
  SECTION("truncated key: the error never shows its text") {
    write(f.key, key_text.substr(0, key_text.size() / 2));
    const auto r = f.read();
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().find(f.key) == 0);
    CHECK(r.error().find(key_text.substr(40, 20)) == std::string::npos);
  }
}
