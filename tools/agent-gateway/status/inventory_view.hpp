// GET /inventory: the canonical inventory's counts per tenant, for the admin
// (the route checks the admin token). The SQLite reads are a scan of each
// tenant's devices, so they run on a thread of their own, never on the I/O
// thread that serves gRPC and HTTP: a request is answered from the newest
// summary when nothing was committed since it was read; otherwise the reader
// thread is asked for a new one and the request gets 503 "try again" (or,
// with ?stale=1, the older summary marked "stale": the status page's choice).
// Tenants are paginated: ?limit=N (default 100, at most 1000) and
// ?cursor=<last tenant of the previous page>; "next_cursor" names the next.
#pragma once

#include "net/http/server.hpp"

#include <boost/json/object.hpp>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace sr::gateway {

struct InventoryPage {
  static constexpr std::size_t kDefaultLimit = 100, kMaxLimit = 1000;
  std::string cursor;  // tenants after this one
  std::size_t limit = kDefaultLimit;
  bool stale_ok = false;
};

// Reads ?limit, ?cursor and ?stale of a request target; nullopt and `error`
// naming the parameter when one is not usable.
std::optional<InventoryPage> parse_inventory_page(const std::string& target, std::string& error);

class InventoryView {
 public:
  struct Summary {
    std::uint64_t version = 0;                     // what version() said before the read
    std::map<std::string, boost::json::object> tenants;
  };
  // `version`: cheap, changes on every commit (called on the I/O thread).
  // `read`: the expensive read (called on the view's own thread only).
  InventoryView(std::function<std::uint64_t()> version,
                std::function<std::map<std::string, boost::json::object>()> read);
  ~InventoryView();  // stops and joins the reader thread
  InventoryView(const InventoryView&) = delete;
  InventoryView& operator=(const InventoryView&) = delete;

  // Never blocks on the database. `ingest`: counters to include as they are.
  net::http::Response answer(const InventoryPage& page, boost::json::object ingest);

 private:
  void run();

  std::function<std::uint64_t()> version_;
  std::function<std::map<std::string, boost::json::object>()> read_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool wanted_ = false, stopping_ = false;
  std::shared_ptr<const Summary> latest_;
  std::thread reader_;
};

}  // namespace sr::gateway
