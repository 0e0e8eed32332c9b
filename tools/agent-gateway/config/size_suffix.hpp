// Byte sizes as operators write them in GRPC_MAX_RECV_MSG_SIZE and
// GRPC_MAX_SEND_MSG_SIZE: "4194304", "8MB", "512 KiB" (1024-based, any case).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace sr::gateway {

std::optional<std::uint64_t> parse_byte_size(std::string_view text);

}  // namespace sr::gateway
