#pragma once
// One RPC server on a QUIC listener, as the programs start them (USER and MGMT ports).

#include <memory>
#include <string>

#include "base/bytes.h"
#include "base/error.h"
#include "net/loop.h"
#include "quic/tls.h"
#include "rpc/registry.h"
#include "rpcnet/server.h"

namespace connswap::app {

// What a listener admits: connection caps and Retry (net::AdmissionLimits), how many
// streams a client may open at once on one connection (QUIC max_streams_bidi), and how
// much each call may queue toward its peer (common/queue_options.h).
struct ServeLimits {
  net::AdmissionLimits admission;
  std::uint64_t max_streams_per_connection = quic::TransportSettings{}.max_streams_bidi;
  rpc::SessionConfig session;                                             // send_high_water
  std::size_t send_low_water = quic::TransportSettings{}.send_low_water;  // <= send_high_water
};

// Listens on `addr` ("host:port") with `tls` and the stateless-reset `secret`, serving
// `registry` (which must outlive the server); `hooks` see each connection. Errors:
// kInvalidArgument for an unparsable address, kIo ("cannot listen on ...") otherwise.
Result<std::unique_ptr<rpcnet::Server>> serve(net::Loop& loop,
                                              const std::string& addr,
                                              std::shared_ptr<const quic::TlsContext> tls,
                                              const Bytes& secret,
                                              const rpc::Registry& registry,
                                              rpcnet::ConnectionHooks hooks = {},
                                              const ServeLimits& limits = {});

}  // namespace connswap::app
