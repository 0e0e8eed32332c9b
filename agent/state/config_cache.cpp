#include "agent/state/config_cache.hpp"

#include "base/durable_file.hpp"
#include "base/log/logger.hpp"
#include "base/read_file.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <memory>

namespace sr::agent {

namespace json = boost::json;

namespace {

constexpr std::size_t kNonce = 12, kTag = 16;
using Key = std::array<unsigned char, 32>;
using Ctx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

Key derive_key(const std::string& key_pem) {
  static constexpr char kDomain[] = "serviceradar-agent config cache v1";
  Key key{};
  unsigned int len = 0;
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  EVP_DigestInit_ex(md, EVP_sha256(), nullptr);
  EVP_DigestUpdate(md, kDomain, sizeof kDomain);
  EVP_DigestUpdate(md, key_pem.data(), key_pem.size());
  EVP_DigestFinal_ex(md, key.data(), &len);
  EVP_MD_CTX_free(md);
  return key;
}

std::string hex(const unsigned char* p, std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[p[i] >> 4];
    out += digits[p[i] & 0xF];
  }
  return out;
}

bool unhex(std::string_view text, std::string& out) {
  if (text.size() % 2) return false;
  out.resize(text.size() / 2);
  auto val = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = val(text[2 * i]), lo = val(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<char>(hi << 4 | lo);
  }
  return true;
}

// AES-256-GCM; the version is authenticated as associated data.
bool seal(const Key& key, const std::string& aad, const std::string& plain, std::string& nonce,
          std::string& cipher, std::string& tag) {
  nonce.resize(kNonce);
  tag.resize(kTag);
  cipher.resize(plain.size());
  if (RAND_bytes(reinterpret_cast<unsigned char*>(nonce.data()), kNonce) != 1) return false;
  Ctx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int len = 0;
  auto u = [](std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); };
  auto cu = [](const std::string& s) { return reinterpret_cast<const unsigned char*>(s.data()); };
  return EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), cu(nonce)) == 1 &&
         EVP_EncryptUpdate(ctx.get(), nullptr, &len, cu(aad), static_cast<int>(aad.size())) == 1 &&
         EVP_EncryptUpdate(ctx.get(), u(cipher), &len, cu(plain), static_cast<int>(plain.size())) == 1 &&
         EVP_EncryptFinal_ex(ctx.get(), u(cipher) + len, &len) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTag, tag.data()) == 1;
}

bool open_sealed(const Key& key, const std::string& aad, const std::string& nonce, const std::string& cipher,
                 std::string tag, std::string& plain) {
  if (nonce.size() != kNonce || tag.size() != kTag) return false;
  plain.resize(cipher.size());
  Ctx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int len = 0;
  auto cu = [](const std::string& s) { return reinterpret_cast<const unsigned char*>(s.data()); };
  return EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), cu(nonce)) == 1 &&
         EVP_DecryptUpdate(ctx.get(), nullptr, &len, cu(aad), static_cast<int>(aad.size())) == 1 &&
         EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &len, cu(cipher),
                           static_cast<int>(cipher.size())) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTag, tag.data()) == 1 &&
         EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + len, &len) == 1;
}

}  // namespace

ConfigCache::ConfigCache(std::filesystem::path state_dir, CacheMode mode, std::string key_pem)
    : path_(std::move(state_dir) / kFileName), mode_(mode), key_pem_(std::move(key_pem)) {}

ConfigCache::~ConfigCache() {
  {
    std::lock_guard lock(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

std::string ConfigCache::save(const CachedConfig& c) {
  std::lock_guard lock(mu_);
  return save_locked(c);
}

std::string ConfigCache::save_locked(const CachedConfig& c) {
  if (mode_ == CacheMode::off) return {};
  json::object doc;
  doc["version"] = c.version;
  if (mode_ == CacheMode::plain) {
    doc["format"] = "plain";
    doc["config_json"] = c.config_json;
  } else {
    if (key_pem_.empty()) return "no private key to seal the config cache with (config_cache: plain or off)";
    std::string nonce, cipher, tag;
    if (!seal(derive_key(key_pem_), c.version, c.config_json, nonce, cipher, tag))
      return "sealing the config cache failed (OpenSSL)";
    doc["format"] = "aes-256-gcm";
    doc["nonce"] = hex(reinterpret_cast<const unsigned char*>(nonce.data()), nonce.size());
    doc["tag"] = hex(reinterpret_cast<const unsigned char*>(tag.data()), tag.size());
    doc["data"] = hex(reinterpret_cast<const unsigned char*>(cipher.data()), cipher.size());
  }
  return base::write_file_durably(path_, json::serialize(doc));
}

CacheLoad ConfigCache::load() {
  std::lock_guard lock(mu_);
  return load_locked();
}

// Never applied, and removed: a file that cannot be trusted is no use later
// either, and a plain one would keep credentials readable on disk.
CacheLoad ConfigCache::refuse(std::string why) {
  std::error_code ec;
  std::filesystem::remove(path_, ec);
  CacheLoad out;
  out.refused = true;
  out.why = ec ? fmt::format("{}: {}: refused; cannot remove it: {}", path_.string(), why, ec.message())
               : fmt::format("{}: {}: refused and removed", path_.string(), why);
  return out;
}

CacheLoad ConfigCache::load_locked() {
  if (mode_ == CacheMode::off) return {std::nullopt, "config_cache is off", false};
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::symlink_status(path_, ec)))
    return {std::nullopt, path_.string() + ": no cached config", false};
  auto text = base::read_small_file(path_);
  if (!text) return refuse("unreadable (" + text.error() + ")");
  boost::system::error_code jec;
  auto doc = json::parse(*text, jec);
  if (jec || !doc.is_object()) return refuse("damaged (not a JSON object)");
  const auto& o = doc.as_object();
  auto str = [&](const char* k) -> std::string {
    const auto* v = o.if_contains(k);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
  };
  CachedConfig out{str("version"), {}};
  const auto format = str("format");
  if (format == "plain") {
    // Only `plain` mode reads a plain file: in sealed mode nothing vouches for it.
    if (mode_ != CacheMode::plain) return refuse("not sealed (format 'plain') while config_cache is sealed");
    out.config_json = str("config_json");
    return {std::move(out), {}, false};
  }
  if (format != "aes-256-gcm") return refuse("unknown format '" + format + "'");
  if (key_pem_.empty()) return {std::nullopt, path_.string() + ": sealed, and there is no private key to open it", false};
  std::string nonce, tag, cipher;
  if (!unhex(str("nonce"), nonce) || !unhex(str("tag"), tag) || !unhex(str("data"), cipher))
    return refuse("damaged (bad hex)");
  if (!open_sealed(derive_key(key_pem_), out.version, nonce, cipher, tag, out.config_json))
    return refuse("cannot be opened with this agent's key (another key, or damaged)");
  return {std::move(out), {}, false};
}

Rekeyed ConfigCache::rekey(std::string key_pem) {
  std::lock_guard lock(mu_);
  if (key_pem == key_pem_) return {};
  if (key_pem.empty())
    return {false, path_.string() + ": no readable private key after the reload: the cache stays under the previous key"};
  if (mode_ != CacheMode::sealed) {
    key_pem_ = std::move(key_pem);
    return {};
  }
  auto current = load_locked();  // under the previous key
  key_pem_ = std::move(key_pem);
  if (!current) return {false, current.refused ? current.why : std::string()};
  if (auto err = save_locked(*current.config); !err.empty()) {
    std::error_code ec;
    std::filesystem::remove(path_, ec);  // sealed under a key the agent no longer uses
    return {false, path_.string() + ": not re-sealed under the rotated key (" + err + "): removed"};
  }
  return {true, {}};
}

void ConfigCache::save_in_background(CachedConfig config) {
  post([this, config = std::move(config)] {
    if (auto err = save(config); !err.empty()) log::warn("control", "config cache not written: " + err);
  });
}

void ConfigCache::rekey_in_background(std::string key_pem) {
  post([this, key_pem = std::move(key_pem)]() mutable {
    const auto r = rekey(std::move(key_pem));
    if (!r.warning.empty()) log::warn("control", "config cache: " + r.warning);
    if (r.resealed) log::info("control", "config cache " + path_.string() + ": re-sealed under the rotated key");
  });
}

void ConfigCache::post(std::function<void()> job) {
  std::lock_guard lock(queue_mu_);
  queue_.push_back(std::move(job));
  if (!worker_.joinable()) worker_ = std::thread([this] { work(); });
  queue_cv_.notify_all();
}

void ConfigCache::flush() {
  std::unique_lock lock(queue_mu_);
  queue_cv_.wait(lock, [this] { return queue_.empty() && !busy_; });
}

void ConfigCache::work() {
  std::unique_lock lock(queue_mu_);
  for (;;) {
    queue_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything queued is done
    auto job = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    job();
    lock.lock();
    busy_ = false;
    queue_cv_.notify_all();
  }
}

}  // namespace sr::agent
