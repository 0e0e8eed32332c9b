// Hostile peers before and around authentication: clients without a
// certificate never reach a handler and leave no memory or fds behind; the
// call caps and the first-message deadline hold for certified clients;
// heartbeat source lists are bounded; /inventory is the admin's and paged;
// the reserved tenant cannot be the default one.
#include "tests/tools/agent-gateway/e2e/gateway_fixture.hpp"
#include "tests/support/wait.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

using namespace sr::test;
namespace json = boost::json;

namespace {

// Sanitizer allocators keep freed memory in quarantine (200 failed TLS
// handshakes left ASan's gateway +66 MiB): RSS bounds are for real builds;
// handlers, refusals and descriptors are checked in every build.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kRssBoundsApply = false;
#else
constexpr bool kRssBoundsApply = true;
#endif

constexpr const char* kToken = "preauth-test-admin-token";

// A /proc/PID/status field in KiB (VmRSS, VmHWM).
long proc_status_kib(int pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  return -1;
}

long open_fds(int pid) {
  long n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd"))
    ++n;
  return n;
}

// A hostile HTTP/2-over-TLS client without a certificate, written by hand
// so that it can stop in the middle of a message: TLS 1.3 lets the client
// finish its side of the handshake and send at once, so a server that does
// not require the certificate would hold each stream's partial message.
class PartialMessageClient {
 public:
  // Connects to `address` (host:port), opens ControlStream, announces a
  // 4 MiB message and sends up to `bytes` of it as the server's flow control
  // allows; then keeps the connection open until destroyed.
  PartialMessageClient(const std::string& address, std::size_t bytes) {
    std::signal(SIGPIPE, SIG_IGN);  // a write after the gateway closed is an error, not a signal
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
    static const unsigned char alpn[] = {2, 'h', '2'};
    SSL_CTX_set_alpn_protos(ctx_, alpn, sizeof alpn);
    fd_ = connect_to(address);
    if (fd_ < 0) return;
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    if (SSL_connect(ssl_) != 1) return;  // refused before even the client's side was done
    handshook_ = true;
    send_request(bytes);
  }
  ~PartialMessageClient() {
    if (ssl_) SSL_free(ssl_);
    if (fd_ >= 0) ::close(fd_);
    SSL_CTX_free(ctx_);
  }
  PartialMessageClient(const PartialMessageClient&) = delete;
  PartialMessageClient& operator=(const PartialMessageClient&) = delete;
  std::size_t sent() const { return sent_; }

 private:
  static int connect_to(const std::string& address) {
    const auto colon = address.rfind(':');
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<std::uint16_t>(std::stoi(address.substr(colon + 1))));
    ::inet_pton(AF_INET, address.substr(0, colon).c_str(), &sa.sin_addr);
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{1, 0};  // a read that waits longer: the server gives no more window
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      ::close(fd);
      return -1;
    }
    return fd;
  }
  static std::string frame(std::uint8_t type, std::uint8_t flags, std::uint32_t stream, const std::string& payload) {
    std::string f;
    const auto n = payload.size();
    f += static_cast<char>((n >> 16) & 0xff);
    f += static_cast<char>((n >> 8) & 0xff);
    f += static_cast<char>(n & 0xff);
    f += static_cast<char>(type);
    f += static_cast<char>(flags);
    for (int shift : {24, 16, 8, 0}) f += static_cast<char>((stream >> shift) & 0xff);
    return f + payload;
  }
  static std::string literal(const std::string& name, const std::string& value) {
    // HPACK literal header field without indexing, new name, no Huffman.
    return std::string(1, '\0') + static_cast<char>(name.size()) + name + static_cast<char>(value.size()) + value;
  }
  bool write(const std::string& bytes) {
    return SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size())) == static_cast<int>(bytes.size());
  }
  bool read_exact(std::string& out, std::size_t n) {
    out.resize(n);
    std::size_t got = 0;
    while (got < n) {
      const int r = SSL_read(ssl_, out.data() + got, static_cast<int>(n - got));
      if (r <= 0) return false;
      got += static_cast<std::size_t>(r);
    }
    return true;
  }
  static std::uint32_t be(const std::string& s, std::size_t at, int len) {
    std::uint32_t v = 0;
    for (int i = 0; i < len; ++i) v = (v << 8) | static_cast<unsigned char>(s[at + i]);
    return v;
  }

  void send_request(std::size_t bytes) {
    const std::string headers = literal(":method", "POST") + literal(":scheme", "https") +
                                literal(":path", "/monitoring.AgentGatewayService/ControlStream") +
                                literal(":authority", "localhost") + literal("content-type", "application/grpc") +
                                literal("te", "trailers");
    std::string prefix(1, '\0');  // uncompressed, then a 4 MiB - 1 length: never completed
    for (int shift : {24, 16, 8, 0}) prefix += static_cast<char>((((4u << 20) - 1) >> shift) & 0xff);
    if (!write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0, "") + frame(1, 4, 1, headers) +
               frame(0, 0, 1, prefix)))
      return;
    std::int64_t conn_window = 65535 - 5, stream_window = 65535 - 5;
    std::size_t max_frame = 16384;
    for (;;) {
      while (sent_ < bytes && conn_window > 0 && stream_window > 0) {
        const auto n = std::min<std::size_t>({bytes - sent_, max_frame, static_cast<std::size_t>(conn_window),
                                              static_cast<std::size_t>(stream_window)});
        if (!write(frame(0, 0, 1, std::string(n, 'x')))) return;
        sent_ += n;
        conn_window -= static_cast<std::int64_t>(n);
        stream_window -= static_cast<std::int64_t>(n);
      }
      if (sent_ >= bytes) return;
      std::string head, payload;
      if (!read_exact(head, 9) || !read_exact(payload, be(head, 0, 3))) return;  // closed, or no more window
      const auto type = static_cast<std::uint8_t>(head[3]);
      const auto flags = static_cast<std::uint8_t>(head[4]);
      const auto stream = be(head, 5, 4) & 0x7fffffff;
      if (type == 4 && !(flags & 1)) {  // SETTINGS: take the window and frame size, ack
        for (std::size_t i = 0; i + 6 <= payload.size(); i += 6) {
          const auto id = be(payload, i, 2), value = be(payload, i + 2, 4);
          if (id == 4) stream_window += static_cast<std::int64_t>(value) - 65535;
          if (id == 5) max_frame = value;
        }
        if (!write(frame(4, 1, 0, ""))) return;
      } else if (type == 6 && !(flags & 1)) {
        if (!write(frame(6, 1, 0, payload))) return;
      } else if (type == 8) {
        (stream == 0 ? conn_window : stream_window) += be(payload, 0, 4) & 0x7fffffff;
      } else if (type == 3 || type == 7) {
        return;  // RST_STREAM, GOAWAY
      }
    }
  }

  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  bool handshook_ = false;
  std::size_t sent_ = 0;
};

json::value status_of(const GatewayFixture& gw) { return json::parse(gw.http_get("/status")); }

std::uint64_t calls_counter(const GatewayFixture& gw, const char* name) {
  return status_of(gw).at("calls").at(name).to_number<std::uint64_t>();
}

monitoring::ControlStreamRequest hello(const std::string& agent) {
  monitoring::ControlStreamRequest r;
  r.mutable_hello()->set_agent_id(agent);
  return r;
}

// An open ControlStream that has said hello: it holds a call slot.
struct HeldStream {
  std::unique_ptr<monitoring::AgentGatewayService::Stub> stub;
  grpc::ClientContext ctx;
  std::unique_ptr<grpc::ClientReaderWriter<monitoring::ControlStreamRequest, monitoring::ControlStreamResponse>> rw;
  HeldStream(const GatewayFixture& gw, const std::string& agent) : stub(gw.stub(agent_cert(agent))) {
    set_deadline(ctx, std::chrono::seconds(120));
    rw = stub->ControlStream(&ctx);
    rw->Write(hello(agent));
  }
  // Read() until the gateway ends the stream, then its status.
  grpc::Status ended() {
    monitoring::ControlStreamResponse msg;
    while (rw->Read(&msg)) {
    }
    finished = true;
    return rw->Finish();
  }
  ~HeldStream() {
    if (finished) return;
    ctx.TryCancel();
    rw->Finish();
  }
  bool finished = false;
};

}  // namespace

TEST_CASE("200 clients without a certificate sending a large first message reach no handler and leave "
          "memory and fds bounded", "[gateway][preauth]") {
  GatewayFixtureOptions o;
  // A non-dumpable process's /proc/PID/fd is root's alone: this lets the
  // test read it as any user. Nothing measured here depends on it.
  o.extra_env = {"SR_ALLOW_CORE_DUMPS=1"};
  GatewayFixture gw(o);
  const int pid = gw.process().pid();
  // Settled baseline: one call through the HTTP endpoint, so its buffers exist.
  calls_counter(gw, "started");
  const long base_rss = proc_status_kib(pid, "VmRSS");
  const long base_fds = open_fds(pid);
  constexpr int kClients = 200;
  // 1.5 MiB each, 300 MiB in all: what a gateway reading before verifying would hold.
  const std::string big(3 << 19, 'x');
  std::vector<std::thread> clients;
  std::atomic<int> refused{0};
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&] {
      auto stub = gw.stub_without_cert();
      grpc::ClientContext ctx;
      set_deadline(ctx, std::chrono::seconds(60));
      auto rw = stub->ControlStream(&ctx);
      monitoring::ControlStreamRequest first = hello("agent-1");
      first.mutable_hello()->set_hostname(big);
      rw->Write(first);
      rw->WritesDone();
      if (rw->Finish().error_code() == grpc::StatusCode::UNAVAILABLE) ++refused;
    });
  }
  for (auto& t : clients) t.join();
  CHECK(refused == kClients);  // refused in the TLS handshake
  // No RPC handler ran, and none logged a rejection.
  CHECK(calls_counter(gw, "started") == 0);
  CHECK(gw.process().log_text().find("rejected") == std::string::npos);
  // The bound: 32 MiB over the settled baseline at the peak (VmHWM), far
  // below the 300 MiB the messages carried.
  const long peak = proc_status_kib(pid, "VmHWM");
  const long after = proc_status_kib(pid, "VmRSS");
  INFO("gateway VmRSS baseline " << base_rss / 1024 << " MiB, after " << after / 1024 << " MiB, peak "
                                 << peak / 1024 << " MiB; fds baseline " << base_fds);
  std::printf("preauth: VmRSS %ld -> %ld KiB (peak %ld KiB), fds baseline %ld\n", base_rss, after, peak, base_fds);
  if (kRssBoundsApply) CHECK(peak - base_rss < 32 * 1024);
  // Every connection is closed again.
  CHECK(eventually([&] { return open_fds(pid) <= base_fds; }));
}

TEST_CASE("200 certificate-less connections holding a partial 4 MiB first message hold nothing in the gateway",
          "[gateway][preauth]") {
  GatewayFixtureOptions o;
  o.extra_env = {"SR_ALLOW_CORE_DUMPS=1"};  // /proc/PID/fd readable by any user (see above)
  GatewayFixture gw(o);
  const int pid = gw.process().pid();
  calls_counter(gw, "started");
  const long base_rss = proc_status_kib(pid, "VmRSS");
  const long base_fds = open_fds(pid);
  constexpr int kClients = 200;
  constexpr std::size_t kPartial = 1 << 20;  // of a 4 MiB message: 200 MiB offered in all
  std::vector<std::unique_ptr<PartialMessageClient>> clients;
  for (int i = 0; i < kClients; ++i)
    clients.push_back(std::make_unique<PartialMessageClient>(gw.grpc_address(), kPartial));
  // While all 200 are still open on the client's side: the gateway has
  // closed every one of them, ran no handler, and holds no message.
  CHECK(eventually([&] { return open_fds(pid) <= base_fds; }));
  CHECK(calls_counter(gw, "started") == 0);
  const long held = proc_status_kib(pid, "VmRSS");
  const long peak = proc_status_kib(pid, "VmHWM");
  std::size_t offered = 0;
  for (const auto& c : clients) offered += c->sent();
  INFO("gateway VmRSS baseline " << base_rss << " KiB, with 200 partial clients " << held << " KiB, peak " << peak
                                 << " KiB; bytes the clients got out " << offered);
  std::printf("preauth partial: VmRSS %ld -> %ld KiB (peak %ld KiB), client bytes sent %zu\n", base_rss, held, peak,
              offered);
  // The bound: 16 MiB over the baseline at the peak, against 200 MiB
  // offered (a gateway that let them in held +38 MiB of the 64 MB that
  // flow control let through, and their 200 fds).
  if (kRssBoundsApply) CHECK(peak - base_rss < 16 * 1024);
  clients.clear();
  CHECK(eventually([&] { return open_fds(pid) <= base_fds; }));
}

TEST_CASE("concurrent calls beyond the per-agent and per-gateway caps are refused", "[gateway][preauth]") {
  GatewayFixtureOptions o;
  o.extra_args = {"--max-calls-per-agent", "3", "--max-calls", "5"};
  GatewayFixture gw(o);
  std::vector<std::unique_ptr<HeldStream>> held;
  for (int i = 0; i < 3; ++i) held.push_back(std::make_unique<HeldStream>(gw, "agent-1"));
  REQUIRE(eventually([&] { return calls_counter(gw, "active") >= 3; }));
  SECTION("ControlStream beyond the agent's cap") {
    HeldStream extra(gw, "agent-1");
    const auto status = extra.ended();
    CHECK(status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
    CHECK(status.error_message() == "agent 'agent-1' is at its limit of 3 concurrent calls");
  }
  SECTION("StreamStatus beyond the agent's cap") {
    auto stub = gw.stub(agent_cert("agent-1"));
    grpc::ClientContext ctx;
    set_deadline(ctx);
    monitoring::GatewayStatusResponse resp;
    auto writer = stub->StreamStatus(&ctx, &resp);
    writer->WritesDone();
    CHECK(writer->Finish().error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
  }
  SECTION("another agent beyond the gateway's cap") {
    held.push_back(std::make_unique<HeldStream>(gw, "agent-2"));
    held.push_back(std::make_unique<HeldStream>(gw, "agent-2"));
    REQUIRE(eventually([&] { return calls_counter(gw, "active") >= 5; }));
    HeldStream extra(gw, "agent-2");
    const auto status = extra.ended();
    CHECK(status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
    CHECK(status.error_message() == "the gateway is at its limit of 5 concurrent calls");
    CHECK(calls_counter(gw, "refused_gateway_cap") == 1);
  }
  CHECK(gw.process().wait_for_log("refused: RESOURCE_EXHAUSTED"));
}

TEST_CASE("a stream that never sends its first message is ended at the deadline", "[gateway][preauth]") {
  GatewayFixtureOptions o;
  o.extra_args = {"--first-message-timeout-ms", "300"};
  GatewayFixture gw(o);
  SECTION("ControlStream without hello") {
    auto stub = gw.stub(agent_cert("agent-1"));
    grpc::ClientContext ctx;
    set_deadline(ctx, std::chrono::seconds(600));  // the gateway, not this, must end it
    auto rw = stub->ControlStream(&ctx);
    monitoring::ControlStreamResponse msg;
    CHECK_FALSE(rw->Read(&msg));
    CHECK(rw->Finish().error_code() != grpc::StatusCode::OK);
    CHECK(gw.process().wait_for_log("no first ControlStream message within 300 ms"));
  }
  SECTION("StreamStatus without a chunk") {
    auto stub = gw.stub(agent_cert("agent-1"));
    grpc::ClientContext ctx;
    set_deadline(ctx, std::chrono::seconds(600));
    monitoring::GatewayStatusResponse resp;
    auto writer = stub->StreamStatus(&ctx, &resp);
    CHECK(writer->Finish().error_code() != grpc::StatusCode::OK);
  }
  CHECK(eventually([&] { return calls_counter(gw, "hello_timeouts") == 1; }));
  CHECK(eventually([&] { return calls_counter(gw, "active") == 0; }));
}

namespace {

grpc::Status heartbeat(const GatewayFixture& gw, int sources) {
  std::string report = R"({"config_version":"v1","sources":{)";
  for (int i = 0; i < sources; ++i) {
    if (i) report += ',';
    report += "\"src-" + std::to_string(i) + R"(":{"type":"faker","result":"ok","devices":1})";
  }
  report += "}}";
  monitoring::GatewayStatusRequest req;
  req.set_agent_id("agent-1");
  auto* svc = req.add_services();
  svc->set_service_name("sync");
  svc->set_service_type("sync");
  svc->set_source("status");
  svc->set_message(report);
  auto stub = gw.stub(agent_cert("agent-1"));
  grpc::ClientContext ctx;
  set_deadline(ctx);
  monitoring::GatewayStatusResponse resp;
  return stub->PushStatus(&ctx, req, &resp);
}

std::size_t served_sources(const GatewayFixture& gw) {
  return status_of(gw).at("tenants").at("acme").at("sources").as_object().size();
}

}  // namespace

TEST_CASE("heartbeat sources are bounded per agent and pruned by the next heartbeat", "[gateway][preauth]") {
  GatewayFixture gw;
  REQUIRE(heartbeat(gw, 10'000).ok());
  CHECK(served_sources(gw) == 256);
  CHECK(gw.process().wait_for_log("heartbeat names more than 256 sources; 9744 dropped"));
  REQUIRE(heartbeat(gw, 10'000).ok());
  CHECK(served_sources(gw) == 256);
  REQUIRE(heartbeat(gw, 3).ok());
  CHECK(served_sources(gw) == 3);
  // Logged once per agent, counted every time.
  const auto log = gw.process().log_text();
  const std::string line = "heartbeat names more than 256 sources";
  CHECK(log.find(line, log.find(line) + 1) == std::string::npos);
  const auto status = status_of(gw);
  const auto& agents = status.at("tenants").at("acme").at("agents").as_array();
  REQUIRE(agents.size() == 1);
  CHECK(agents[0].at("sources_dropped").to_number<std::uint64_t>() == 2 * 9744);
}

namespace {

grpc::Status stream_devices(const GatewayFixture& gw, const std::string& agent) {
  monitoring::GatewayStatusChunk c;
  c.set_agent_id(agent);
  c.set_partition("default");
  c.set_chunk_index(0);
  c.set_total_chunks(1);
  c.set_is_final(true);
  auto* svc = c.add_services();
  svc->set_service_name("sync");
  svc->set_service_type("sync");
  svc->set_source("results");
  svc->set_agent_id(agent);
  svc->set_message(R"([{"device_id":"default:10.9.0.1","ip":"10.9.0.1","source":"armis"}])");
  auto stub = gw.stub(agent_cert(agent));
  grpc::ClientContext ctx;
  set_deadline(ctx);
  monitoring::GatewayStatusResponse resp;
  auto writer = stub->StreamStatus(&ctx, &resp);
  writer->Write(c);
  writer->WritesDone();
  return writer->Finish();
}

std::pair<unsigned, std::string> get_eventually(const GatewayFixture& gw, const std::string& path,
                                                const std::string& auth) {
  std::pair<unsigned, std::string> answer;
  eventually([&] {
    answer = http_request(gw.http_address(), path, "GET", "", auth);
    return answer.first != 503;
  });
  return answer;
}

}  // namespace

TEST_CASE("/inventory needs the admin token and is paginated", "[gateway][preauth]") {
  {
    GatewayFixture without_admin;
    CHECK(http_request(without_admin.http_address(), "/inventory").first == 403);
  }
  GatewayFixtureOptions o;
  o.admin_token = kToken;
  GatewayFixture gw(o);
  REQUIRE(stream_devices(gw, "agent-1").ok());  // acme
  REQUIRE(stream_devices(gw, "agent-2").ok());  // globex
  CHECK(http_request(gw.http_address(), "/inventory").first == 401);
  CHECK(http_request(gw.http_address(), "/inventory", "GET", "", "Bearer wrong-token-0123456789").first == 401);
  const std::string auth = std::string("Bearer ") + kToken;
  auto [status, body] = get_eventually(gw, "/inventory?limit=1", auth);
  REQUIRE(status == 200);
  auto page = json::parse(body);
  CHECK(page.at("tenants").as_object().size() == 1);
  CHECK(page.at("tenants").as_object().contains("acme"));
  REQUIRE(page.at("next_cursor") == "acme");
  auto [status2, body2] = get_eventually(gw, "/inventory?limit=1&cursor=acme", auth);
  REQUIRE(status2 == 200);
  auto second = json::parse(body2);
  CHECK(second.at("tenants").as_object().contains("globex"));
  CHECK_FALSE(second.as_object().contains("next_cursor"));
  auto [too_many, why] = http_request(gw.http_address(), "/inventory?limit=5000", "GET", "", auth);
  CHECK(too_many == 400);
  CHECK_THAT(why, Catch::Contains("limit"));
}

TEST_CASE("--default-tenant platform is refused", "[gateway][preauth]") {
  const char* pki = std::getenv("SR_TEST_PKI");
  REQUIRE(pki != nullptr);
  const std::string dir(pki);
  ChildProcess gw(std::getenv("SR_AGENT_GATEWAY"),
                  {"--listen", "127.0.0.1:0", "--cert", dir + "/gateway/server.pem", "--key",
                   dir + "/gateway/server.key", "--ca-dir", dir + "/ca", "--config-dir", dir,
                   "--no-inventory", "--sink-dir", dir, "--default-tenant", "platform"});
  CHECK_FALSE(gw.wait_for_line("agent-gateway ready"));
  CHECK_THAT(gw.log_text(), Catch::Contains("--default-tenant 'platform' is refused: tenant 'platform' is reserved"));
  CHECK(gw.terminate() == 64);
}

namespace {

// "Max core file size" of /proc/PID/limits: soft and hard, as written there.
std::string core_limit(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/limits");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("Max core file size", 0) == 0) return line.substr(26, 42);
  return {};
}

}  // namespace

TEST_CASE("the gateway, which holds a private key, allows no core dump unless asked", "[gateway][preauth]") {
  {
    GatewayFixture gw;
    CHECK_THAT(core_limit(gw.process().pid()), Catch::Matches(R"(\s*0\s+0\s*)"));
  }
  GatewayFixtureOptions o;
  o.extra_env = {"SR_ALLOW_CORE_DUMPS=1"};
  GatewayFixture debugging(o);
  CHECK(debugging.process().wait_for_log("core dumps allowed"));
}
