// Where accepted device updates land, per tenant: one NDJSON file per
// completed stream, `<dir>/<tenant>/<agent_id>-<seq>.ndjson`, one device per
// line with `_tenant` and `_agent_id` from the certificate. A stream is
// written to a hidden `.part` file as its chunks arrive (never held whole in
// memory) and renamed on commit; an aborted stream leaves nothing.
// Not thread-safe: the gateway serialises access.
#pragma once

#include "net/expected.hpp"
#include "tools/agent-gateway/streams/device_batch.hpp"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
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
    Stream(TenantSink& sink, std::string tenant, std::string agent_id,
           std::filesystem::path part, std::filesystem::path final_path);
    std::string write_error(const char* what) const;

    TenantSink& sink_;
    std::string tenant_, agent_id_;
    std::filesystem::path part_, final_;
    std::ofstream out_;
    std::uint64_t devices_ = 0;
    bool done_ = false;
  };

  explicit TenantSink(std::filesystem::path dir);

  net::Expected<std::unique_ptr<Stream>> open(const std::string& tenant,
                                              const std::string& agent_id);
  Counters counters(const std::string& tenant) const;
  std::vector<std::string> tenants() const;

 private:
  std::filesystem::path dir_;
  std::uint64_t seq_ = 0;
  std::map<std::string, Counters> counters_;
};

}  // namespace sr::gateway
