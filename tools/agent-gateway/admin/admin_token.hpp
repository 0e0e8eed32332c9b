// The admin API's bearer token: read from a file at start (never from the
// command line, where `ps` would show it), compared in constant time.
#pragma once

#include <string>
#include <string_view>

namespace sr::gateway {

class AdminToken {
 public:
  AdminToken() = default;  // disabled: every admin request is refused
  // Reads the first line of `path`; throws with the path and why when it is
  // missing, unreadable or shorter than 16 characters.
  static AdminToken from_file(const std::string& path);

  bool enabled() const { return !token_.empty(); }
  // `authorization` is the request's Authorization header ("Bearer <token>").
  bool allows(std::string_view authorization) const;

 private:
  explicit AdminToken(std::string token) : token_(std::move(token)) {}
  std::string token_;
};

}  // namespace sr::gateway
