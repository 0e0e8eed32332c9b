#include "tests/tools/agent-gateway/e2e/gateway_fixture.hpp"


#include "tests/support/wait.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace sr::test {

namespace {

std::filesystem::path env_path(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) fail_hard(std::string(name) + " is not set (run the tests through meson)");
  return v;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) fail_hard("cannot read " + p.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::pair<std::string, std::string> host_port(const std::string& address) {
  const auto colon = address.rfind(':');
  return {address.substr(0, colon), address.substr(colon + 1)};
}

}  // namespace

ClientCert agent_cert(const std::string& agent_id) {
  const auto pki = env_path("SR_TEST_PKI");
  return {pki / "agents" / (agent_id + ".pem"), pki / "agents" / (agent_id + ".key")};
}

ClientCert test_cert(const std::string& name) {
  const auto pki = env_path("SR_TEST_PKI");
  return {pki / "test" / (name + ".pem"), pki / "test" / (name + ".key")};
}

void set_deadline(grpc::ClientContext& ctx, std::chrono::seconds s) {
  ctx.set_deadline(std::chrono::system_clock::now() + s);
}

GatewayFixture::GatewayFixture(GatewayFixtureOptions options) {
  std::filesystem::create_directories(root_ / "config");
  std::filesystem::create_directories(sink_dir());
  for (const auto& [tenant, json] : options.stores) write_store(tenant, json);
  const auto pki = env_path("SR_TEST_PKI");
  std::vector<std::string> args{"--listen",     options.listen,
                                "--http-listen", "127.0.0.1:0",
                                "--cert",       (pki / "gateway" / "server.pem").string(),
                                "--key",        (pki / "gateway" / "server.key").string(),
                                "--ca-dir",     (pki / "ca").string(),
                                "--config-dir", (root_ / "config").string(),
                                "--data-dir",   data_dir().string(),
                                "--store-poll-ms", "50"};
  if (options.raw_record) args.insert(args.end(), {"--sink-dir", sink_dir().string()});
  if (!options.admin_token.empty()) {
    std::ofstream(root_ / "admin-token") << options.admin_token << "\n";
    args.insert(args.end(), {"--admin-token-file", (root_ / "admin-token").string()});
    authorization_ = "Bearer " + options.admin_token;
  }
  args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());
  process_ = std::make_unique<ChildProcess>(env_path("SR_AGENT_GATEWAY").string(), args,
                                            options.extra_env);
  auto ready = process_->wait_for_line("agent-gateway ready");
  if (!ready) fail_hard("agent-gateway did not become ready; its log:\n" + process_->log_text());
  grpc_address_ = field_of(*ready, "grpc");
  http_address_ = field_of(*ready, "http");
}

void GatewayFixture::kill_hard() {
  ::kill(process_->pid(), SIGKILL);
  process_->wait_exit();
  process_.reset();
}

GatewayFixture::~GatewayFixture() {
  if (process_) {
    // A clean exit on SIGTERM is part of every test: a sanitizer report or a
    // crash in the gateway fails the test that caused it, with the log.
    auto status = process_->terminate();
    if (!status) fail_hard("agent-gateway did not stop on SIGTERM; its log:\n" + process_->log_text());
    if (*status != 0) {
      UNSCOPED_INFO("agent-gateway log:\n" << process_->log_text());
      FAIL_CHECK("agent-gateway exited with status " << *status << " on SIGTERM");
    }
  }
}

void GatewayFixture::write_store(const std::string& tenant, const std::string& json) {
  const auto dir = root_ / "config";
  const auto tmp = dir / ("." + tenant + ".json.tmp");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << json;
  }
  std::filesystem::rename(tmp, dir / (tenant + ".json"));
}

std::unique_ptr<monitoring::AgentGatewayService::Stub> GatewayFixture::stub(
    const ClientCert& cert) const {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = read_file(env_path("SR_TEST_PKI") / "agents" / "ca.pem");
  ssl.pem_cert_chain = read_file(cert.chain);
  ssl.pem_private_key = read_file(cert.key);
  // A fresh channel per stub: no connection (and no identity) is shared.
  grpc::ChannelArguments args;
  args.SetInt("grpc.use_local_subchannel_pool", 1);
  return monitoring::AgentGatewayService::NewStub(
      grpc::CreateCustomChannel(grpc_address_, grpc::SslCredentials(ssl), args));
}

std::unique_ptr<monitoring::AgentGatewayService::Stub> GatewayFixture::stub_without_cert() const {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = read_file(env_path("SR_TEST_PKI") / "agents" / "ca.pem");
  grpc::ChannelArguments args;
  args.SetInt("grpc.use_local_subchannel_pool", 1);
  return monitoring::AgentGatewayService::NewStub(
      grpc::CreateCustomChannel(grpc_address_, grpc::SslCredentials(ssl), args));
}

std::pair<unsigned, std::string> http_request(const std::string& address, const std::string& path,
                                              const std::string& method, const std::string& body,
                                              const std::string& authorization) {
  namespace beast = boost::beast;
  namespace http = beast::http;
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::resolver resolver(ioc);
  beast::tcp_stream stream(ioc);
  const auto [host, port] = host_port(address);
  stream.connect(resolver.resolve(host, port));
  http::request<http::string_body> req{http::string_to_verb(method), path, 11};
  req.set(http::field::host, host);
  if (!authorization.empty()) req.set(http::field::authorization, authorization);
  if (!body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = body;
  }
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  return {res.result_int(), res.body()};
}

std::string GatewayFixture::http_get(const std::string& path) const {
  std::pair<unsigned, std::string> answer;
  eventually([&] {
    answer = http_request(http_address_, path, "GET", "", authorization_);
    return answer.first != 503;
  });
  if (answer.first != 200) fail_hard("GET " + path + " answered " + std::to_string(answer.first));
  return answer.second;
}

std::pair<unsigned, std::string> GatewayFixture::http_post(const std::string& path,
                                                           const std::string& body,
                                                           const std::string& authorization) const {
  return http_request(http_address_, path, "POST", body, authorization);
}

}  // namespace sr::test
