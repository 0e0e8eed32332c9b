// What both fake APIs answer with: a JSON reply, and strings quoted as the
// contract writes them (contract/device_json.hpp), never the agent's parsers.
#pragma once

#include "contract/device_json.hpp"
#include "tools/fake-inventory/server/https_server.hpp"

#include <string>
#include <string_view>

namespace sr::fake {

inline Reply json_reply(unsigned status, std::string body) {
  Reply r;
  r.status = status;
  r.headers = {{"Content-Type", "application/json"}};
  r.body = std::move(body);
  return r;
}

inline std::string quoted(std::string_view s) {
  std::string out;
  contract::append_json_string(out, s);
  return out;
}

}  // namespace sr::fake
