// A NetBox-shaped API over the faker inventory: GET /api/dcim/devices/ with
// limit/offset paging and absolute (or relative) `next` links, Token or
// Bearer auth, every 50th device on IPv6 only, and faults by options.
#pragma once

#include "contract/faker_inventory.hpp"
#include "tools/fake-inventory/apis/page_faults.hpp"
#include "tools/fake-inventory/server/https_server.hpp"

#include <atomic>
#include <cstdint>
#include <string>

namespace sr::fake {

struct NetboxApiOptions {
  sr::contract::faker::InventoryOptions inventory;
  std::uint64_t epoch = 0;
  std::string token;               // accepted as "Token <t>", or "Bearer <t>" when it starts nbt_
  std::size_t max_limit = 1000;    // NetBox's MAX_PAGE_SIZE default
  bool relative_next = false;      // "next" as a path instead of an absolute URL
  // scheme://host[:port] of absolute "next" links, as NetBox behind a
  // TLS-terminating proxy writes them; "" = the request's own (its scheme and Host).
  std::string next_origin;
  std::uint64_t rate_limit_every = 0, error_every = 0, reset_every = 0, malformed_every = 0;
  int retry_after_seconds = 1;
  bool faults_once_per_page = false;  // a page is faulted at most once (page_faults.hpp)
};

class NetboxApi {
 public:
  explicit NetboxApi(NetboxApiOptions options);
  Reply handle(const ServerRequest& request);
  // Serve only the first `n` devices from now on (devices "leave" NetBox).
  void set_total(std::uint64_t n) { total_ = n; }
  std::uint64_t requests() const { return requests_; }

 private:
  NetboxApiOptions options_;
  sr::contract::faker::Inventory inventory_;
  PageFaults faults_{options_.faults_once_per_page};
  std::atomic<std::uint64_t> total_, requests_{0};
};

// "" when `origin` is a usable next_origin (http or https, a host, maybe a
// port, nothing else), else why not. A trailing "/" is dropped from `origin`.
std::string check_next_origin(std::string& origin);

// The address a NetBox device `index` has (every 50th is IPv6 only, fd00::
// + its IP slot + 1), without prefix.
std::string netbox_ip(const sr::contract::faker::Inventory& inventory, std::uint64_t index,
                      std::uint64_t epoch);

}  // namespace sr::fake
