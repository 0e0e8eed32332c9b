#include "tools/agent-gateway/streams/tenant_sink.hpp"

#include "base/log/logger.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <fmt/core.h>


namespace sr::gateway {

namespace fs = std::filesystem;

TenantSink::TenantSink(fs::path dir) : dir_(std::move(dir)) {
  std::error_code ec;
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    if (!it->is_directory(type_ec) || it->is_symlink(type_ec)) continue;
    const auto swept = base::remove_write_leftovers(it->path());
    for (const auto& name : swept.removed)
      log::info({}, fmt::format("sink: removed {} left by an interrupted stream in {}", name, it->path().string()));
    for (const auto& err : swept.errors) log::warn({}, fmt::format("sink: {}", err));
  }
}

base::Expected<std::unique_ptr<TenantSink::Stream>> TenantSink::open(const std::string& tenant,
                                                                     const std::string& agent_id) {
  using Result = base::Expected<std::unique_ptr<Stream>>;
  const fs::path dir = dir_ / tenant;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Result::failure("sink: cannot create " + dir.string() + ": " + ec.message());
  std::lock_guard lock(mu_);
  // Names stay unique across gateway runs sharing the directory.
  fs::path final_path, part;
  do {
    final_path = dir / fmt::format("{}-{:06}.ndjson", agent_id, ++seq_);
    part = dir / ("." + final_path.filename().string() + ".part");
  } while (fs::exists(final_path, ec) || fs::exists(part, ec));
  auto file = base::DurableFile::create(final_path, part);
  if (!file) return Result::failure("sink: " + file.error());
  return std::unique_ptr<Stream>(new Stream(*this, tenant, agent_id, std::move(*file)));
}

TenantSink::Counters TenantSink::counters(const std::string& tenant) const {
  std::lock_guard lock(mu_);
  auto it = counters_.find(tenant);
  return it == counters_.end() ? Counters{} : it->second;
}

std::vector<std::string> TenantSink::tenants() const {
  std::vector<std::string> out;
  std::lock_guard lock(mu_);
  for (const auto& [tenant, c] : counters_) out.push_back(tenant);
  return out;
}

TenantSink::Stream::Stream(TenantSink& sink, std::string tenant, std::string agent_id, base::DurableFile file)
    : sink_(sink), tenant_(std::move(tenant)), agent_id_(std::move(agent_id)), file_(std::move(file)) {}

TenantSink::Stream::~Stream() {
  if (!done_) abort();
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
      if (auto err = file_->write(buf); !err.empty()) return "sink: " + err;
      buf.clear();
    }
  }
  if (auto err = file_->write(buf); !err.empty()) return "sink: " + err;
  devices_ += devices.size();
  return {};
}

std::string TenantSink::Stream::commit() {
  if (auto err = file_->commit(); !err.empty()) {
    abort();  // the .part is gone already; counts the stream as aborted
    return "sink: " + err;
  }
  done_ = true;
  std::lock_guard lock(sink_.mu_);
  auto& c = sink_.counters_[tenant_];
  ++c.streams_committed;
  c.devices_committed += devices_;
  return {};
}

void TenantSink::Stream::abort() {
  if (done_) return;
  done_ = true;
  file_->abandon();
  std::lock_guard lock(sink_.mu_);
  ++sink_.counters_[tenant_].streams_aborted;
}

}  // namespace sr::gateway
