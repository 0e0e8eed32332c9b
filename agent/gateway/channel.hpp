// The gRPC channel to the gateway, made from the bootstrap's TLS material for
// each session (tls_material.hpp: the files read and checked every time;
// gateway_pin.hpp: the optional issuer pin).
#pragma once

#include "agent/bootstrap/bootstrap_config.hpp"
#include "base/expected.hpp"

#include <grpcpp/channel.h>

#include <memory>

namespace sr::agent {

// A channel with the bootstrap's material, or why there is none: a TLS file
// that cannot be used is an error, never an empty string (see tls_material.hpp).
base::Expected<std::shared_ptr<grpc::Channel>> make_channel(const BootstrapConfig& c);

}  // namespace sr::agent
