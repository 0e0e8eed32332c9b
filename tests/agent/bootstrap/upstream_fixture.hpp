// The upstream agent's bootstrap shapes (fixtures/), made runnable: the
// file's gateway_security.cert_dir points at a directory laid out as the
// file expects (its own tls file names), holding one test-PKI agent's
// certificate chain and key and the CA that signed the gateway's
// certificate. Used by the bootstrap tests and the agent's e2e tests.
#pragma once

#include "tests/support/temp_dir.hpp"
#include "tests/support/test_pki.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <utility>

namespace sr::test {

inline std::filesystem::path upstream_fixture(const std::string& name) {
  const char* dir = std::getenv("SR_BOOTSTRAP_FIXTURES");
  if (!dir || !*dir) fail_hard("SR_BOOTSTRAP_FIXTURES is not set (run the tests through meson)");
  return std::filesystem::path(dir) / name;
}

inline boost::json::object read_json_object(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return boost::json::parse(text.str()).as_object();
}

struct UpstreamBootstrap {
  TempDir dir{"sr-upstream-boot"};
  std::filesystem::path file = dir.path / "agent.json";
  std::filesystem::path cert_dir = dir.path / "certs";
};

// `fixture`: a file of fixtures/; `agent`: the test PKI's agent whose files
// are installed under the fixture's names; `edit` changes the document
// (gateway_addr, server_name, sync_runtime_enabled...) before it is written.
inline std::unique_ptr<UpstreamBootstrap> deploy_upstream(
    const std::string& fixture, const std::string& agent = "agent-1",
    const std::function<void(boost::json::object&)>& edit = {}) {
  namespace fs = std::filesystem;
  auto out = std::make_unique<UpstreamBootstrap>();
  auto doc = read_json_object(upstream_fixture(fixture));
  auto& security = doc.at("gateway_security").as_object();
  const auto& tls = security.at("tls").as_object();
  const auto pki = test_pki() / "agents";
  for (const auto& [key, source] : {std::pair{"cert_file", pki / (agent + ".pem")},
                                    {"key_file", pki / (agent + ".key")}, {"ca_file", pki / "ca.pem"}}) {
    const fs::path target = out->cert_dir / std::string(tls.at(key).as_string());
    fs::create_directories(target.parent_path());
    fs::copy_file(source, target, fs::copy_options::overwrite_existing);
  }
  security["cert_dir"] = out->cert_dir.string();
  if (edit) edit(doc);
  std::ofstream(out->file) << boost::json::serialize(doc);
  return out;
}

}  // namespace sr::test
