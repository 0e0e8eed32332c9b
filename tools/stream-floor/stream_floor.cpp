// The benchmark's floor: a bare gRPC client that writes pre-built chunks of
// a faker run to StreamStatus as fast as the gateway takes them. Same bytes
// per chunk and chunk count as the agent's run of the same inventory, none
// of the agent's work (generation, spooling): what is left is the gateway and
// the transport. The chunk messages are built before the clock starts; the
// first 16 distinct ones are reused cyclically to keep memory flat.
//
//   stream-floor --gateway HOST:PORT --cert F --key F --ca F --devices N [--partition P]
//                [--compression none|gzip]   (gzip: per message, as the agent's grpc_compression)
#include "agent/gateway/agent_identity.hpp"
#include "agent/gateway/tls_material.hpp"
#include "base/ids.hpp"
#include "monitoring.grpc.pb.h"
#include "sync/adapters/faker/faker_source.hpp"
#include "sync/pipeline/chunker.hpp"
#include "sync/runtime/completed_run.hpp"

#include <boost/program_options.hpp>
#include <fmt/format.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <chrono>
#include <iostream>
#include <optional>

namespace po = boost::program_options;
using namespace sr::sync;

namespace {

// The agent's chunks for this inventory: same generator, mapping, limits;
// the first 16 distinct chunk messages and the run's chunk count.
struct FloorRun {
  std::vector<monitoring::GatewayStatusChunk> protos;
  std::int32_t total = 0;
};

FloorRun build_chunks(std::uint64_t devices, const std::string& agent_id, const std::string& partition) {
  std::vector<std::string> warnings;
  const auto limits = ChunkLimits::from_environment(warnings);
  const std::string sid = "lab", rid = sr::base::new_uuid_v4();
  Chunker chunker(limits, sync_meta_worst_case(sid, rid));
  sr::contract::faker::Inventory inv({devices, 1, 0.05});
  RunInfo info{0, agent_id, "", partition, "2026-01-01T00:00:00.000000000Z", {}};
  std::vector<ChunkData> kept;
  std::int32_t total = 0;
  DeviceUpdate d;
  auto keep = [&](std::optional<ChunkData> c) {
    if (!c) return;
    if (kept.size() < 16) kept.push_back(std::move(*c));
    ++total;
  };
  for (std::uint64_t i = 0; i < devices; ++i) {
    d = DeviceUpdate{};
    faker::FakerSource::map(inv.device(i, 0, false), info, d);
    keep(chunker.add(d));
  }
  keep(chunker.finish());
  // The agent's message builder: the same identity fields as its chunks.
  const sr::agent::MessageIdentity messages({agent_id, partition, ""}, "bench", {"floor", "Linux", "x86_64"}, true);
  FloorRun run{{}, total};
  for (std::size_t i = 0; i < kept.size(); ++i)
    run.protos.push_back(
        messages.chunk("", build_chunk_message(kept[i], SyncMeta{sid, rid, 0, total, devices}), 0, total));
  return run;
}

// The command line; nullopt after printing why it is unusable.
struct Args {
  std::string gateway, cert, key, ca, partition, agent_id, compression;
  std::uint64_t devices = 0;
};

std::optional<Args> parse_args(int argc, char** argv) {
  po::options_description opts("stream-floor");
  Args a;
  opts.add_options()("gateway", po::value(&a.gateway)->required(), "gateway host:port")(
      "cert", po::value(&a.cert)->required(), "agent certificate")("key", po::value(&a.key)->required(), "agent key")(
      "ca", po::value(&a.ca)->required(), "CA of the gateway")("devices", po::value(&a.devices)->required(),
                                                               "faker devices")(
      "agent-id", po::value(&a.agent_id)->required(), "the certificate's agent id")(
      "partition", po::value(&a.partition)->default_value("default"), "the certificate's partition")(
      "compression", po::value(&a.compression)->default_value("none"), "message compression: none or gzip");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, opts), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "stream-floor: " << e.what() << "\n" << opts;
    return std::nullopt;
  }
  if (a.compression != "none" && a.compression != "gzip") {
    std::cerr << "stream-floor: --compression must be none or gzip, not '" << a.compression << "'\n";
    return std::nullopt;
  }
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  const auto args = parse_args(argc, argv);
  if (!args) return 64;
  // Built before the clock starts.
  auto run = build_chunks(args->devices, args->agent_id, args->partition);
  auto& protos = run.protos;
  const auto total = run.total;

  // Unusable files are an error: gRPC would take empty material as its
  // public roots and no client certificate.
  auto material = sr::agent::read_tls_material(args->ca, args->cert, args->key);
  if (!material) {
    std::cerr << "stream-floor: " << material.error() << "\n";
    return 66;  // EX_NOINPUT
  }
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = std::move(material->ca_pem);
  ssl.pem_cert_chain = std::move(material->cert_pem);
  ssl.pem_private_key = std::move(material->key_pem);
  auto stub =
      monitoring::AgentGatewayService::NewStub(grpc::CreateChannel(args->gateway, grpc::SslCredentials(ssl)));

  std::uint64_t bytes = 0;
  const auto start = std::chrono::steady_clock::now();
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(30));
  if (args->compression == "gzip") ctx.set_compression_algorithm(GRPC_COMPRESS_GZIP);
  monitoring::GatewayStatusResponse resp;
  auto writer = stub->StreamStatus(&ctx, &resp);
  for (std::int32_t i = 0; i < total; ++i) {
    auto& c = protos[static_cast<std::size_t>(i) % protos.size()];
    c.set_chunk_index(i);
    c.set_is_final(i + 1 == total);
    bytes += c.services(0).message().size();
    if (!writer->Write(c)) break;
  }
  writer->WritesDone();
  const auto status = writer->Finish();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!status.ok()) {
    std::cerr << "stream-floor: StreamStatus failed: " << status.error_message() << "\n";
    return 1;
  }
  std::cout << fmt::format("floor devices={} chunks={} bytes={} seconds={:.3f} compression={}\n", args->devices,
                           total, bytes, secs, args->compression);
  return 0;
}
