#include "tools/agent-gateway/service/call_admission.hpp"

#include "base/log/logger.hpp"
#include "tools/agent-gateway/service/call_log.hpp"
#include "base/clock.hpp"

#include <grpc/grpc_security_constants.h>
#include <grpcpp/security/auth_context.h>

#include <utility>

namespace sr::gateway {

namespace {

// The peer's leaf certificate first, then whatever chain it presented: the
// verifier takes the first certificate as the leaf.
std::string peer_chain_pem(const grpc::CallbackServerContext& ctx) {
  auto auth = ctx.auth_context();
  if (!auth) return {};
  std::string pem;
  for (const auto& v : auth->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME))
    pem.append(v.data(), v.size());
  if (pem.empty()) return {};
  for (const auto& v : auth->FindPropertyValues(GRPC_X509_PEM_CERT_CHAIN_PROPERTY_NAME))
    pem.append(v.data(), v.size());
  return pem;
}

// A refusal under the call caps: logged for the first and every 100th, so a
// flood cannot flood the log too; all are counted in /status.
void log_refusal(const char* rpc, const std::string& whom, const std::string& why, std::uint64_t count) {
  if (count == 1 || count % 100 == 0)
    log::warn({}, fmt::format("{} from {} refused: RESOURCE_EXHAUSTED {} ({} refused so far)", rpc, whom, why,
                              count));
}

void log_rejected(const char* rpc, const Caller& caller, const grpc::CallbackServerContext& ctx,
                  const grpc::Status& status) {
  log::warn({}, fmt::format("{} from {} ({}) rejected: {} {}", rpc, who(caller), ctx.peer(),
                            code_name(status.error_code()), status.error_message()));
}

}  // namespace

CallAdmission::CallAdmission(const ClientVerifier& verifier, GatewayState& state, CallLimits limits)
    : verifier_(verifier), state_(state), limits_(limits) {}

CallAdmission::Slot::Slot(CallAdmission* a) : a_(a) { ++a_->state_.calls().active; }

CallAdmission::Slot::Slot(Slot&& o) noexcept : a_(std::exchange(o.a_, nullptr)), agent_(std::move(o.agent_)) {}

CallAdmission::Slot& CallAdmission::Slot::operator=(Slot&& o) noexcept {
  if (this != &o) {
    release();
    a_ = std::exchange(o.a_, nullptr);
    agent_ = std::move(o.agent_);
  }
  return *this;
}

void CallAdmission::Slot::release() {
  if (!a_) return;
  {
    std::lock_guard lock(a_->calls_mu_);
    --a_->calls_;
    if (agent_) {
      auto it = a_->agent_calls_.find(*agent_);
      if (it != a_->agent_calls_.end() && --it->second == 0) a_->agent_calls_.erase(it);
    }
  }
  --a_->state_.calls().active;
  a_ = nullptr;
}

Caller CallAdmission::authenticate(const grpc::CallbackServerContext& ctx, const std::string& claimed_agent_id,
                                   const char* rpc) {
  auto caller = verifier_.verify(peer_chain_pem(ctx), base::unix_now());
  if (caller.status.ok())
    caller.status = check_claim(caller, ctx, claimed_agent_id, rpc);
  else
    log_rejected(rpc, caller, ctx, caller.status);
  return caller;
}

grpc::Status CallAdmission::check_claim(const Caller& caller, const grpc::CallbackServerContext& ctx,
                                        const std::string& claimed_agent_id, const char* rpc) {
  if (claimed_agent_id.empty() || claimed_agent_id == caller.identity.agent_id) return grpc::Status::OK;
  grpc::Status denied(grpc::StatusCode::PERMISSION_DENIED, "component_id mismatch");
  log_rejected(rpc, caller, ctx, denied);
  return denied;
}

bool CallAdmission::take_gateway_slot(Slot& slot) {
  std::lock_guard lock(calls_mu_);
  if (calls_ >= limits_.max_calls) return false;
  ++calls_;
  slot = Slot(this);
  return true;
}

bool CallAdmission::take_agent_slot(Slot& slot, AgentKey key) {
  std::lock_guard lock(calls_mu_);
  auto& n = agent_calls_[key];
  if (n < limits_.max_calls_per_agent) {
    ++n;
    slot.counts_for(std::move(key));
    return true;
  }
  if (n == 0) agent_calls_.erase(key);  // a cap of 0: leave no empty entry behind
  return false;
}

CallAdmission::Admitted CallAdmission::admit(const grpc::CallbackServerContext& ctx,
                                             const std::string& claimed_agent_id, const char* rpc) {
  auto& counters = state_.calls();
  ++counters.started;
  Admitted a;
  if (!take_gateway_slot(a.slot)) {
    const auto why = fmt::format("the gateway is at its limit of {} concurrent calls", limits_.max_calls);
    log_refusal(rpc, ctx.peer(), why, ++counters.refused_gateway);
    a.caller.status = grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, why);
    return a;
  }
  a.caller = authenticate(ctx, claimed_agent_id, rpc);
  if (!a.caller.status.ok()) return a;
  if (!take_agent_slot(a.slot, {a.caller.identity.tenant, a.caller.identity.agent_id})) {
    const auto why = fmt::format("agent '{}' is at its limit of {} concurrent calls", a.caller.identity.agent_id,
                                 limits_.max_calls_per_agent);
    log_refusal(rpc, who(a.caller), why, ++counters.refused_agent);
    a.caller.status = grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, why);
  }
  return a;
}

}  // namespace sr::gateway
