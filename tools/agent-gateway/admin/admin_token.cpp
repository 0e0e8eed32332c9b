#include "tools/agent-gateway/admin/admin_token.hpp"

#include "base/read_file.hpp"

#include <openssl/crypto.h>

#include <stdexcept>

namespace sr::gateway {

namespace {
constexpr std::size_t kMinTokenLength = 16;
constexpr std::string_view kBearer = "Bearer ";
}  // namespace

AdminToken AdminToken::from_file(const std::string& path) {
  std::string text = sr::base::read_file_or_throw(path);
  std::string token = text.substr(0, text.find_first_of("\r\n"));
  if (token.size() < kMinTokenLength)
    throw std::runtime_error("admin token file " + path + ": the token must be at least " +
                             std::to_string(kMinTokenLength) + " characters on its first line");
  return AdminToken(std::move(token));
}

bool AdminToken::allows(std::string_view authorization) const {
  if (token_.empty() || !authorization.starts_with(kBearer)) return false;
  const auto given = authorization.substr(kBearer.size());
  // Length is not secret; the bytes are compared without an early exit.
  return given.size() == token_.size() &&
         CRYPTO_memcmp(given.data(), token_.data(), token_.size()) == 0;
}

}  // namespace sr::gateway
