#include "common/serve.h"

#include <utility>

#include "base/address.h"

namespace connswap::app {

Result<std::unique_ptr<rpcnet::Server>> serve(net::Loop& loop,
                                              const std::string& addr,
                                              std::shared_ptr<const quic::TlsContext> tls,
                                              const Bytes& secret,
                                              const rpc::Registry& registry,
                                              rpcnet::ConnectionHooks hooks,
                                              const ServeLimits& limits) {
  auto listen = Address::parse(addr);
  if (!listen) {
    return make_error(Errc::kInvalidArgument, addr + ": " + listen.error().detail);
  }
  rpcnet::ServerOptions options;
  options.listen = *listen;
  options.quic.tls = std::move(tls);
  options.quic.static_secret = secret;
  options.hooks = std::move(hooks);
  options.admission = limits.admission;
  options.quic.transport.max_streams_bidi = limits.max_streams_per_connection;
  options.quic.transport.send_low_water = limits.send_low_water;
  options.session = limits.session;
  auto server = rpcnet::Server::listen(loop, std::move(options), registry);
  if (!server) {
    return make_error(Errc::kIo, "cannot listen on " + addr + ": " + server.error().message());
  }
  return server;
}

}  // namespace connswap::app
