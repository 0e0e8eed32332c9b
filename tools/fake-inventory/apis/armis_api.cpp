#include "tools/fake-inventory/apis/armis_api.hpp"

#include "tools/fake-inventory/apis/json_reply.hpp"

#include <boost/json/parse.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/params_view.hpp>
#include <boost/url/parse_query.hpp>

#include <fmt/format.h>

namespace sr::fake {

namespace {

std::string form_value(std::string_view body, std::string_view key) {
  if (!boost::urls::parse_query(body)) return {};
  boost::urls::encoding_opts opts;
  opts.space_as_plus = true;
  for (auto p : boost::urls::params_view(body, opts))
    if (p.key == key) return p.value;
  return {};
}

}  // namespace

std::string armis_device_json(const sr::contract::faker::FakeDevice& d) {
  std::string macs;
  for (const auto& m : d.macs) macs += (macs.empty() ? "" : ",") + m;
  std::string tags;
  for (const auto& t : d.tags) {
    // Appended piece by piece: "," + quoted(t) trips a GCC 12 -Wrestrict false positive at -O3.
    if (!tags.empty()) tags += ',';
    tags += quoted(t);
  }
  return fmt::format(
      R"({{"id":{},"ipAddress":{},"macAddress":{},"name":{},"type":{},"category":{},)"
      R"("manufacturer":{},"model":{},"operatingSystem":{},"boundaries":{},"riskLevel":{},)"
      R"("firstSeen":"2026-01-01T00:00:00+00:00","lastSeen":"2026-11-25T00:00:00+00:00","tags":[{}]}})",
      d.id, quoted(d.ip), quoted(macs), quoted(d.name), quoted(d.type), quoted(d.category),
      quoted(d.manufacturer), quoted(d.model), quoted(d.os), quoted(d.boundaries), d.risk_level,
      tags);
}

ArmisApi::ArmisApi(ArmisApiOptions options)
    : options_(std::move(options)), inventory_(options_.inventory) {}

Reply ArmisApi::handle(const ServerRequest& request) {
  const auto path = request.target.substr(0, request.target.find('?'));
  if (path == "/api/v1/access_token/" && request.method == "POST") return issue_token(request);
  if (path == "/api/v1/search/" && request.method == "GET") return search(request);
  return json_reply(404, R"({"success":false,"message":"no such endpoint"})");
}

Reply ArmisApi::issue_token(const ServerRequest& request) {
  bool accepted = false;
  if (request.header("content-type").starts_with("application/json")) {
    boost::system::error_code ec;
    auto doc = boost::json::parse(request.body, ec);
    if (!ec && doc.is_object()) {
      auto text = [&](const char* k) {
        const auto* v = doc.as_object().if_contains(k);
        return v && v->is_string() ? std::string(v->as_string()) : std::string();
      };
      accepted = !options_.api_key.empty() && text("api_key") == options_.api_key &&
                 text("api_secret") == options_.api_secret;
    }
  } else {
    accepted = !options_.secret_key.empty() &&
               form_value(request.body, "secret_key") == options_.secret_key;
  }
  if (!accepted) return json_reply(401, R"({"success":false,"message":"invalid credentials"})");
  const auto n = ++tokens_issued_;
  const std::string token = fmt::format("tok-{}-{}", n, request.connection);
  {
    std::lock_guard lock(mu_);
    tokens_[token] = options_.token_uses;
  }
  return json_reply(200, fmt::format(R"({{"data":{{"access_token":"{}","expiration_utc":"2099-01-01T00:00:00.000000+00:00"}},"success":true}})",
                                     token));
}

bool ArmisApi::token_ok(const ServerRequest& request) {
  auto auth = request.header("authorization");
  const bool bearer = auth.starts_with("Bearer ");
  if (bearer) auth = auth.substr(7);
  std::lock_guard lock(mu_);
  auto it = tokens_.find(auth);
  if (it == tokens_.end()) return false;
  // JSON-style tokens come back as Bearer, form-style ones raw.
  if (options_.api_key.empty() == bearer) return false;
  if (options_.token_uses == 0) return true;
  if (it->second == 0) {
    tokens_.erase(it);
    return false;
  }
  --it->second;
  return true;
}

std::string ArmisApi::results(std::uint64_t from, std::uint64_t end) {
  const auto key = std::make_pair(from, end);
  if (options_.page_cache_bytes) {
    std::lock_guard lock(mu_);
    if (auto it = page_cache_.find(key); it != page_cache_.end()) return it->second;
  }
  std::string out;
  for (auto i = from; i < end; ++i) {
    if (i != from) out += ',';
    out += armis_device_json(inventory_.device(i, options_.epoch));
  }
  if (options_.page_cache_bytes) {
    std::lock_guard lock(mu_);
    if (page_cache_used_ + out.size() <= options_.page_cache_bytes) {
      page_cache_used_ += out.size();
      page_cache_.emplace(key, out);
    }
  }
  return out;
}

Reply ArmisApi::search(const ServerRequest& request) {
  if (!token_ok(request)) {
    ++rejected_;
    return json_reply(401, R"({"success":false,"message":"token expired or invalid"})");
  }
  const auto n = ++searches_;
  auto hit = [&](std::uint64_t every) { return faults_.hit(n, every, request.target); };
  if (hit(options_.rate_limit_every)) {
    ++rate_limited_;
    auto r = json_reply(429, R"({"success":false,"message":"slow down"})");
    r.headers.emplace_back("Retry-After", std::to_string(options_.retry_after_seconds));
    return r;
  }
  if (hit(options_.error_every)) return json_reply(500, R"({"success":false})");

  std::uint64_t from = 0, length = 100;
  auto params = boost::urls::parse_uri_reference(request.target);
  if (params) {
    for (auto p : params->params()) {
      if (p.key == "from") from = std::strtoull(std::string(p.value).c_str(), nullptr, 10);
      if (p.key == "length") length = std::strtoull(std::string(p.value).c_str(), nullptr, 10);
    }
  }
  length = std::clamp<std::uint64_t>(length, 1, options_.max_page);
  const auto total = inventory_.size();
  const auto end = std::min(total, from + length);
  std::string body = R"({"data":{"count":)" + std::to_string(end > from ? end - from : 0) +
                     R"(,"results":[)" + results(from, end) + "],";
  if (options_.huge_body_bytes)
    body += R"("padding":")" + std::string(options_.huge_body_bytes, 'x') + "\",";
  const std::string next = options_.endless ? std::to_string(from)
                           : end < total    ? std::to_string(end)
                                            : "null";
  body += fmt::format(R"("next":{},"prev":{},"total":{}}},"success":true}})", next,
                      from ? std::to_string(from - std::min(from, length)) : "null", total);
  auto r = json_reply(200, std::move(body));
  if (hit(options_.malformed_every)) r.body.insert(r.body.find('[') + 1, "@@,");
  if (hit(options_.reset_every)) r.reset_after = r.body.size() / 2;
  r.piece_pause = options_.piece_pause;
  r.gzip = options_.gzip && request.header("accept-encoding").find("gzip") != std::string::npos;
  if (r.gzip) ++gzipped_;
  return r;
}

std::vector<std::string> render_armis_pages(std::uint64_t devices, std::uint64_t seed, std::uint64_t page) {
  ArmisApiOptions o;
  o.inventory = {devices, seed, 0.05};
  o.api_key = "key";
  o.api_secret = "secret";
  ArmisApi api(o);
  const auto login = api.handle({"POST", "/api/v1/access_token/", R"({"api_key":"key","api_secret":"secret"})",
                                 {{"content-type", "application/json"}}});
  const auto token = boost::json::parse(login.body).at("data").at("access_token").as_string();
  const std::map<std::string, std::string> auth{{"authorization", "Bearer " + std::string(token)}};
  std::vector<std::string> pages;
  for (std::uint64_t from = 0; from < devices; from += page)
    pages.push_back(api.handle({"GET", fmt::format("/api/v1/search/?from={}&length={}", from, page), "", auth}).body);
  return pages;
}

}  // namespace sr::fake
