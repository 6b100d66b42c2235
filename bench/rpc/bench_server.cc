#include "bench_server.h"

#include <cstdio>

#include <connswap/v1/test.pb.h>
#include <stdlib.h>

#include "net/loop.h"
#include "pki/cert.h"
#include "pki/pem_file.h"
#include "quic/packet.h"
#include "rpc/registry.h"
#include "rpcnet/server.h"

namespace connswap::bench {
namespace {

using v1::test::EchoRequest;
using v1::test::EchoResponse;
using Call = rpc::ServerCall<EchoRequest, EchoResponse>;

template <class T>
T must(Result<T> r, const char* what) {
  if (!r) {
    std::fprintf(stderr, "rpc-bench: %s: %s\n", what, r.error().message().c_str());
    std::exit(1);
  }
  if constexpr (!std::is_void_v<T>) {
    return std::move(*r);
  }
}

// Streams kItemBytes-sized responses until the client cancels (or `repeat` items if > 0).
struct Streamer : std::enable_shared_from_this<Streamer> {
  Call call;
  std::uint32_t limit = 0;
  std::uint32_t sent = 0;
  EchoResponse item;

  void pump() {
    while (limit == 0 || sent < limit) {
      item.set_index(0);
      if (auto r = call.write(item); !r) {
        if (r.error().code == Errc::kFlowControl) {
          call.on_writable([self = shared_from_this()] { self->pump(); });
        }
        return;  // blocked, or the call ended
      }
      ++sent;
    }
    (void)call.finish({});
  }
};

void add_methods(rpc::Registry& registry) {
  must(registry.add_unary<EchoRequest, EchoResponse>("bench.Echo/Unary",
                                                     [](Call call, EchoRequest request) {
                                                       EchoResponse r;
                                                       r.set_text(
                                                           std::move(*request.mutable_text()));
                                                       (void)call.reply(r);
                                                     }),
       "register");
  must(registry.add_server_streaming<EchoRequest, EchoResponse>(
           "bench.Echo/Stream",
           [](Call call, EchoRequest request) {
             auto s = std::make_shared<Streamer>();
             s->call = call;
             s->limit = request.repeat();
             s->item.set_payload(std::string(kItemBytes - 2, 's'));
             s->pump();
           }),
       "register");
}

}  // namespace

Pki::~Pki() {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

std::unique_ptr<Pki> make_pki() {
  auto pki = std::make_unique<Pki>();
  std::string tmpl = (std::filesystem::temp_directory_path() / "rpc-bench-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) {
    std::perror("mkdtemp");
    std::exit(1);
  }
  pki->dir = tmpl;
  auto ca = must(pki::make_ca({.common_name = "rpc-bench CA", .validity_days = 1}), "CA");
  auto leaf = must(pki::make_leaf(ca,
                                  {.common_name = "localhost",
                                   .role = pki::LeafRole::kServer,
                                   .dns_names = {"localhost"},
                                   .ip_addresses = {"127.0.0.1"},
                                   .validity_days = 1}),
                   "server certificate");
  const pki::PemPaths ca_paths{pki->dir / "ca.pem", pki->dir / "ca-key.pem"};
  const pki::PemPaths leaf_paths{pki->dir / "server.pem", pki->dir / "server-key.pem"};
  must(pki::write_pem_files(ca, ca_paths, pki::Overwrite::kNo), "write CA");
  must(pki::write_pem_files(leaf, leaf_paths, pki::Overwrite::kNo), "write server cert");
  quic::ServerTlsOptions server;
  server.cert_file = leaf_paths.cert.string();
  server.key_file = leaf_paths.key.string();
  pki->server = must(quic::TlsContext::make_server(server), "server TLS");
  quic::ClientTlsOptions client;
  client.ca_file = ca_paths.cert.string();
  pki->client = must(quic::TlsContext::make_client(client), "client TLS");
  return pki;
}

ServerThread::ServerThread(const Pki& pki) {
  thread_ = std::thread([this, &pki] {
    net::Loop loop;
    rpc::Registry registry;
    add_methods(registry);
    rpcnet::ServerOptions options;
    options.listen = Address::loopback_v4(0);
    options.quic.tls = pki.server;
    options.quic.static_secret = quic::derive_static_secret(as_bytes("rpc-bench"));
    auto server = must(rpcnet::Server::listen(loop, std::move(options), registry), "listen");
    address_ = server->local_address();
    ready_ = true;
    while (!stop_) {
      loop.run_until([this] { return stop_.load(); }, 50 * kMillisecond);
    }
    server->stop();
  });
  while (!ready_) {
    std::this_thread::yield();
  }
}

ServerThread::~ServerThread() {
  stop_ = true;
  thread_.join();
}

}  // namespace connswap::bench
