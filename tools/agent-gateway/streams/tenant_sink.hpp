// Where accepted device updates land, per tenant: one NDJSON file per
// completed stream, `<dir>/<tenant>/<agent_id>-<seq>.ndjson`, one device per
// line with `_tenant` and `_agent_id` from the certificate. A stream is
// written to a hidden `.part` file as its chunks arrive (never held whole in
// memory) and renamed on commit; an aborted stream leaves nothing. Files are
// 0600 whatever the umask (devices are tenant data), and a commit is on disk
// (fsync, rename, directory fsync) before it is acknowledged: it blocks.
// Streams are independent (one caller uses a stream at a time), so no lock is
// held across a stream's writes or fsyncs; the sink's own lock covers only
// the names it hands out and the counters.
#pragma once

#include "base/durable_file.hpp"
#include "base/expected.hpp"
#include "tools/agent-gateway/streams/device_batch.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace sr::gateway {

class TenantSink {
 public:
  struct Counters {
    std::uint64_t streams_committed = 0, streams_aborted = 0, devices_committed = 0;
  };

  class Stream {
   public:
    ~Stream();  // aborts unless committed
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;

    // Writes the devices; "" on success, else the error naming the file.
    std::string append(const Devices& devices);
    std::string commit();
    void abort();
    std::uint64_t devices() const noexcept { return devices_; }

   private:
    friend class TenantSink;
    Stream(TenantSink& sink, std::string tenant, std::string agent_id, base::DurableFile file);

    TenantSink& sink_;
    std::string tenant_, agent_id_;
    std::optional<base::DurableFile> file_;  // the hidden .part until commit
    std::uint64_t devices_ = 0;
    bool done_ = false;
  };

  // Removes (and logs) the .part files a gateway that stopped mid-stream
  // left in the tenants' directories.
  explicit TenantSink(std::filesystem::path dir);

  base::Expected<std::unique_ptr<Stream>> open(const std::string& tenant,
                                              const std::string& agent_id);
  Counters counters(const std::string& tenant) const;
  std::vector<std::string> tenants() const;

 private:
  std::filesystem::path dir_;
  mutable std::mutex mu_;  // seq_ and counters_
  std::uint64_t seq_ = 0;
  std::map<std::string, Counters> counters_;
};

}  // namespace sr::gateway
