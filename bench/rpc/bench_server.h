#pragma once
// The benchmark's server side: certificates in a temporary directory and an rpcnet::Server
// on its own thread and Loop, serving bench.Echo/{Unary,Stream}.

#include <atomic>
#include <filesystem>
#include <memory>
#include <thread>

#include "base/address.h"
#include "quic/tls.h"

namespace connswap::bench {

// Serialized size of every streamed item (an EchoResponse with a 14-byte payload).
inline constexpr std::size_t kItemBytes = 16;

struct Pki {
  std::filesystem::path dir;  // removed by the destructor
  std::shared_ptr<const quic::TlsContext> server;
  std::shared_ptr<const quic::TlsContext> client;
  ~Pki();
};
// CA + server certificate for "localhost"; aborts the program on failure.
std::unique_ptr<Pki> make_pki();

class ServerThread {
 public:
  explicit ServerThread(const Pki& pki);  // returns once the server listens
  ~ServerThread();                        // stops the server and joins
  const Address& address() const { return address_; }

 private:
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> ready_{false};
  Address address_;
};

}  // namespace connswap::bench
