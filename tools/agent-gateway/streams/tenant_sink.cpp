#include "tools/agent-gateway/streams/tenant_sink.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <fmt/core.h>

#include <cerrno>
#include <cstring>

namespace sr::gateway {

namespace fs = std::filesystem;

TenantSink::TenantSink(fs::path dir) : dir_(std::move(dir)) {}

net::Expected<std::unique_ptr<TenantSink::Stream>> TenantSink::open(const std::string& tenant,
                                                                     const std::string& agent_id) {
  using Result = net::Expected<std::unique_ptr<Stream>>;
  const fs::path dir = dir_ / tenant;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Result::failure("sink: cannot create " + dir.string() + ": " + ec.message());
  // Names stay unique across gateway runs sharing the directory.
  fs::path final_path;
  do {
    final_path = dir / fmt::format("{}-{:06}.ndjson", agent_id, ++seq_);
  } while (fs::exists(final_path, ec));
  const fs::path part = dir / ("." + final_path.filename().string() + ".part");
  std::unique_ptr<Stream> stream(new Stream(*this, tenant, agent_id, part, final_path));
  if (!stream->out_)
    return Result::failure(stream->write_error("cannot create"));
  return stream;
}

TenantSink::Counters TenantSink::counters(const std::string& tenant) const {
  auto it = counters_.find(tenant);
  return it == counters_.end() ? Counters{} : it->second;
}

std::vector<std::string> TenantSink::tenants() const {
  std::vector<std::string> out;
  for (const auto& [tenant, c] : counters_) out.push_back(tenant);
  return out;
}

TenantSink::Stream::Stream(TenantSink& sink, std::string tenant, std::string agent_id,
                           fs::path part, fs::path final_path)
    : sink_(sink),
      tenant_(std::move(tenant)),
      agent_id_(std::move(agent_id)),
      part_(std::move(part)),
      final_(std::move(final_path)),
      out_(part_, std::ios::binary | std::ios::trunc) {}

TenantSink::Stream::~Stream() {
  if (!done_) abort();
}

std::string TenantSink::Stream::write_error(const char* what) const {
  return fmt::format("sink: {} {}: {}", what, part_.string(), std::strerror(errno));
}

std::string TenantSink::Stream::append(const Devices& devices) {
  // The certificate's identity goes last in each object, replacing any
  // payload fields of the same names; written in blocks of ~256 KiB.
  constexpr std::size_t kFlushBytes = 256 * 1024;
  std::string suffix = ",\"_tenant\":" + boost::json::serialize(boost::json::string(tenant_)) +
                       ",\"_agent_id\":" + boost::json::serialize(boost::json::string(agent_id_)) + "}\n";
  std::string buf;
  for (std::size_t i = 0; i < devices.size(); ++i) {
    const auto& device = devices[i];
    if (device.contains("_tenant") || device.contains("_agent_id")) {
      boost::json::object copy = device;
      copy.erase("_tenant");
      copy.erase("_agent_id");
      buf += boost::json::serialize(copy);
    } else {
      buf += boost::json::serialize(device);
    }
    buf.pop_back();  // the closing brace; the object has at least "ip"
    buf += suffix;
    if (buf.size() >= kFlushBytes) {
      out_.write(buf.data(), static_cast<std::streamsize>(buf.size()));
      buf.clear();
    }
  }
  out_.write(buf.data(), static_cast<std::streamsize>(buf.size()));
  if (!out_) return write_error("cannot write");
  devices_ += devices.size();
  return {};
}

std::string TenantSink::Stream::commit() {
  out_.close();
  if (out_.fail()) {
    abort();
    return write_error("cannot close");
  }
  std::error_code ec;
  fs::rename(part_, final_, ec);
  if (ec) {
    abort();
    return "sink: cannot rename " + part_.string() + ": " + ec.message();
  }
  done_ = true;
  auto& c = sink_.counters_[tenant_];
  ++c.streams_committed;
  c.devices_committed += devices_;
  return {};
}

void TenantSink::Stream::abort() {
  if (done_) return;
  done_ = true;
  out_.close();
  std::error_code ec;
  fs::remove(part_, ec);
  ++sink_.counters_[tenant_].streams_aborted;
}

}  // namespace sr::gateway
