#include "agent/state/config_cache.hpp"

#include "net/read_file.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
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

std::string write_atomically(const std::filesystem::path& path, const std::string& text) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  const auto tmp = path.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return fmt::format("{}: {}", tmp, std::strerror(errno));
  std::size_t done = 0;
  while (done < text.size()) {
    const auto n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      return fmt::format("{}: {}", tmp, why);
    }
    done += static_cast<std::size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced || std::rename(tmp.c_str(), path.c_str()) != 0)
    return fmt::format("{}: {}", path.string(), std::strerror(errno));
  return {};
}

}  // namespace

ConfigCache::ConfigCache(std::filesystem::path state_dir, CacheMode mode, std::string key_pem)
    : path_(std::move(state_dir) / "config-cache.json"), mode_(mode), key_pem_(std::move(key_pem)) {}

std::string ConfigCache::save(const CachedConfig& c) const {
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
  return write_atomically(path_, json::serialize(doc));
}

net::Expected<CachedConfig> ConfigCache::load() const {
  using Result = net::Expected<CachedConfig>;
  if (mode_ == CacheMode::off) return Result::failure("config_cache is off");
  auto text = net::read_file(path_.string());
  if (!text) return Result::failure(path_.string() + ": no cached config");
  boost::system::error_code ec;
  auto doc = json::parse(*text, ec);
  if (ec || !doc.is_object()) return Result::failure(path_.string() + ": damaged (not a JSON object)");
  const auto& o = doc.as_object();
  auto str = [&](const char* k) -> std::string {
    const auto* v = o.if_contains(k);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
  };
  CachedConfig out{str("version"), {}};
  const auto format = str("format");
  if (format == "plain") {
    out.config_json = str("config_json");
    return out;
  }
  if (format != "aes-256-gcm") return Result::failure(path_.string() + ": unknown format '" + format + "'");
  if (key_pem_.empty()) return Result::failure(path_.string() + ": sealed, and there is no private key to open it");
  std::string nonce, tag, cipher;
  if (!unhex(str("nonce"), nonce) || !unhex(str("tag"), tag) || !unhex(str("data"), cipher))
    return Result::failure(path_.string() + ": damaged (bad hex)");
  if (!open_sealed(derive_key(key_pem_), out.version, nonce, cipher, tag, out.config_json))
    return Result::failure(path_.string() + ": cannot be opened with this agent's key (another key, or damaged)");
  return out;
}

}  // namespace sr::agent
