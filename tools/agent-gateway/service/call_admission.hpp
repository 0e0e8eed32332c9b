// Who may make a gRPC call, and how many at once: every call is counted
// against the gateway's cap, authenticated from the TLS auth context (nothing
// of the request is read for that), then counted against its agent's cap.
// A refusal's status says why; a call's slot is released when it ends.
#pragma once

#include "tools/agent-gateway/gateway_state.hpp"
#include "tools/agent-gateway/identity/client_verifier.hpp"

#include <grpcpp/server_context.h>

#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace sr::gateway {

struct CallLimits {
  std::size_t max_calls = 1024;
  std::size_t max_calls_per_agent = 64;
};

class CallAdmission {
 public:
  CallAdmission(const ClientVerifier& verifier, GatewayState& state, CallLimits limits);

  // A call's place under the caps: the gateway's, and its agent's once known.
  class Slot {
   public:
    Slot() = default;
    explicit Slot(CallAdmission* a);
    Slot(Slot&& o) noexcept;
    Slot& operator=(Slot&& o) noexcept;
    ~Slot() { release(); }
    void counts_for(AgentKey key) { agent_ = std::move(key); }  // under calls_mu_
    bool admitted() const noexcept { return a_ != nullptr; }

   private:
    void release();
    CallAdmission* a_ = nullptr;
    std::optional<AgentKey> agent_;
  };

  struct Admitted {
    Caller caller;  // status OK, or the refusal
    Slot slot;
  };
  // `claimed_agent_id` is what the request says (empty: it names none); it
  // must equal the certificate's.
  Admitted admit(const grpc::CallbackServerContext& ctx, const std::string& claimed_agent_id, const char* rpc);

  // PERMISSION_DENIED (logged) when a request names an agent_id other than
  // the certificate's; an empty claim names none.
  grpc::Status check_claim(const Caller& caller, const grpc::CallbackServerContext& ctx,
                           const std::string& claimed_agent_id, const char* rpc);

 private:
  Caller authenticate(const grpc::CallbackServerContext& ctx, const std::string& claimed_agent_id,
                      const char* rpc);
  bool take_gateway_slot(Slot& slot);
  bool take_agent_slot(Slot& slot, AgentKey key);

  const ClientVerifier& verifier_;
  GatewayState& state_;
  CallLimits limits_;
  std::mutex calls_mu_;
  std::size_t calls_ = 0;
  std::map<AgentKey, std::size_t> agent_calls_;
};

}  // namespace sr::gateway
