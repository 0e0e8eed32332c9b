#include "tools/agent-gateway/status/inventory_view.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <charconv>
#include <iterator>

namespace sr::gateway {

namespace json = boost::json;

std::optional<InventoryPage> parse_inventory_page(const std::string& target, std::string& error) {
  auto url = boost::urls::parse_origin_form(target);
  if (!url) {
    error = "the request target is not a URL path";
    return std::nullopt;
  }
  InventoryPage page;
  for (const auto& param : url->params()) {
    if (param.key == "cursor") {
      page.cursor = param.value;
    } else if (param.key == "limit") {
      std::size_t n = 0;
      const auto& v = param.value;
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
      if (ec != std::errc{} || end != v.data() + v.size() || n < 1 || n > InventoryPage::kMaxLimit) {
        error = "limit: a number of tenants from 1 to " + std::to_string(InventoryPage::kMaxLimit);
        return std::nullopt;
      }
      page.limit = n;
    } else if (param.key == "stale") {
      page.stale_ok = param.value == "1" || param.value == "true";
    }
  }
  return page;
}

InventoryView::InventoryView(std::function<std::uint64_t()> version,
                             std::function<std::map<std::string, boost::json::object>()> read)
    : version_(std::move(version)), read_(std::move(read)), reader_([this] { run(); }) {}

InventoryView::~InventoryView() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  reader_.join();
}

void InventoryView::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait(lock, [&] { return wanted_ || stopping_; });
    if (stopping_) return;
    wanted_ = false;
    lock.unlock();
    auto summary = std::make_shared<Summary>();
    // The version first: whatever it counts as committed, the read includes.
    summary->version = version_();
    summary->tenants = read_();
    lock.lock();
    latest_ = std::move(summary);
  }
}

net::http::Response InventoryView::answer(const InventoryPage& page, boost::json::object ingest) {
  const auto now = version_();
  std::shared_ptr<const Summary> summary;
  {
    std::lock_guard lock(mu_);
    summary = latest_;
    if (!summary || summary->version != now) wanted_ = true;
  }
  const bool stale = !summary || summary->version != now;
  if (stale) wake_.notify_one();
  if (!summary || (stale && !page.stale_ok))
    return {503, "application/json",
            R"({"error":"the inventory summary is being read; try again in a moment"})"};
  json::object tenants;
  std::string next;
  for (auto it = summary->tenants.upper_bound(page.cursor); it != summary->tenants.end(); ++it) {
    if (tenants.size() == page.limit) {
      next = std::prev(it)->first;
      break;
    }
    tenants[it->first] = it->second;
  }
  json::object out{{"tenants", std::move(tenants)}, {"ingest", std::move(ingest)}, {"stale", stale}};
  if (!next.empty()) out["next_cursor"] = next;
  return {200, "application/json", json::serialize(out)};
}

}  // namespace sr::gateway
