// An Armis-shaped API over the faker inventory (same seed, same devices as
// the faker source): POST /api/v1/access_token/ (JSON or form credentials),
// GET /api/v1/search/?from&length&aql with paging, token expiry, and faults
// switched on by options. Thread-safe (counters are atomic, state is locked).
#pragma once

#include "contract/faker_inventory.hpp"
#include "tools/fake-inventory/apis/page_faults.hpp"
#include "tools/fake-inventory/server/https_server.hpp"

#include <atomic>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace sr::fake {

struct ArmisApiOptions {
  sr::contract::faker::InventoryOptions inventory;
  std::uint64_t epoch = 0;                 // churn epoch the pages show
  std::string api_key, api_secret;         // JSON auth accepted with these
  std::string secret_key;                  // form auth accepted with this
  std::uint64_t token_uses = 0;            // a token expires after this many searches (0: never)
  std::size_t max_page = 10'000;           // "length" is capped at this
  // Faults: every Nth search (0 = never) gets ...
  std::uint64_t rate_limit_every = 0;      // 429 with Retry-After
  int retry_after_seconds = 1;
  std::uint64_t error_every = 0;           // 500
  std::uint64_t reset_every = 0;           // a body cut off mid-way (TCP dropped)
  std::uint64_t malformed_every = 0;       // invalid JSON
  bool faults_once_per_page = false;       // a page is faulted at most once (page_faults.hpp)
  bool endless = false;                    // "next" always equals "from": a paging loop
  std::size_t huge_body_bytes = 0;         // pad each page with this many bytes of junk JSON
  std::chrono::milliseconds piece_pause{0};  // slow bodies
  bool gzip = false;                       // gzip when the client accepts it
  std::size_t page_cache_bytes = 0;        // keep rendered pages up to this size (benchmarks)
};

class ArmisApi {
 public:
  explicit ArmisApi(ArmisApiOptions options);
  Reply handle(const ServerRequest& request);

  std::uint64_t token_requests() const { return tokens_issued_; }
  std::uint64_t searches() const { return searches_; }
  std::uint64_t rejected_tokens() const { return rejected_; }
  std::uint64_t rate_limited() const { return rate_limited_; }  // 429s sent
  std::uint64_t gzipped() const { return gzipped_; }            // pages sent gzip-encoded

 private:
  Reply issue_token(const ServerRequest& request);
  Reply search(const ServerRequest& request);
  bool token_ok(const ServerRequest& request);
  std::string results(std::uint64_t from, std::uint64_t end);

  ArmisApiOptions options_;
  sr::contract::faker::Inventory inventory_;
  std::mutex mu_;
  std::map<std::string, std::uint64_t> tokens_;  // token -> searches left (0 = unlimited)
  // Rendered result arrays by (from, length), while they fit the cache budget.
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::string> page_cache_;
  std::size_t page_cache_used_ = 0;
  PageFaults faults_{options_.faults_once_per_page};
  std::atomic<std::uint64_t> tokens_issued_{0}, searches_{0}, rejected_{0}, rate_limited_{0}, gzipped_{0};
};

// One device as Armis writes it (all MACs comma-joined in macAddress).
std::string armis_device_json(const sr::contract::faker::FakeDevice& d);

// Every search page of a `devices`-device inventory (faker `seed`), `page`
// devices each, exactly as the API serves them: asked for a token, then
// for each page (tools/pipeline-floor, the fuzz seeds).
std::vector<std::string> render_armis_pages(std::uint64_t devices, std::uint64_t seed, std::uint64_t page);

}  // namespace sr::fake
