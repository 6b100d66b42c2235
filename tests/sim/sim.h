#pragma once
// A connswap deployment in one process on a virtual network and a virtual clock: the real
// DirectorService, WorkerServices (each with its RegistrationClient) and GenerateClients,
// every connection a real quic::Connection (ngtcp2 + GnuTLS) whose datagrams cross a
// sim::Network. Deterministic for a seed: nothing reads a real clock, and the network draws
// every delay and loss from the seed.
//
// Hosts are 10.0.0.x. The director is 10.0.0.1 (USER :61000, MGMT :61001); worker i is
// 10.0.0.(10 + i) (USER :62000, MGMT :63000); client i is 10.0.0.(100 + i). Client ends
// of connections get ports from 40000 up on their host.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "director/config.h"
#include "quic/connection.h"
#include "rpc/registry.h"
#include "services/director_service.h"
#include "services/generate_client.h"
#include "services/registration_client.h"
#include "services/worker_service.h"
#include "sim/network.h"
#include "sim/peer.h"

namespace connswap::sim {

class Sim;

// What a host's processes do.
enum class HostState : std::uint8_t {
  kUp,
  kFrozen,  // stopped (SIGSTOP): receives nothing, runs no timer, sends nothing
  kDown,    // crashed: its processes are gone (a restart brings up new ones)
};

struct WorkerNode final : services::DirectorLink {
  WorkerNode(Sim& sim, int index, worker::WorkerConfig config);
  ~WorkerNode() override;
  // DirectorLink: the MGMT connection to the director, dialled on demand.
  Result<rpc::Session*> session(Timestamp now) override;
  Address host() const;

  Sim& sim;
  int index;
  worker::WorkerConfig config;
  rpc::Registry user, mgmt;
  std::unique_ptr<services::WorkerService> service;
  std::unique_ptr<services::RegistrationClient> registration;
  Peer* to_director = nullptr;
  bool dead = false;  // crashed (this incarnation never runs again)
};

struct ClientNode {
  Address host;
  Peer* peer = nullptr;  // to the director's USER port
  services::GenerateClientConfig config;
  std::unique_ptr<services::GenerateClient> client;
};

struct SimOptions {
  std::uint64_t seed = 1;
  LinkConfig link;  // every host pair
  director::DirectorConfig director;
  quic::TransportSettings transport;  // every connection (keep-alives are set per role)
};

// The virtual clock of the Sim alive now (log lines show it), or 0 when there is none.
Timestamp virtual_now();

class Sim final : public services::WorkerConnector {
 public:
  explicit Sim(SimOptions options);
  ~Sim() override;
  Sim(const Sim&) = delete;
  Sim& operator=(const Sim&) = delete;

  // WorkerConnector: the pooled connection to the worker at `user_addr`, dialled on demand.
  Result<rpc::Session*> connect(std::string_view user_addr, Timestamp now) override;

  // Starts worker number `index` (its host 10.0.0.(10 + index)) with `config` (label and
  // addresses are filled in) and its registration.
  WorkerNode& add_worker(int index, worker::WorkerConfig config);
  // Starts a client on 10.0.0.(100 + index) with `config`; its calls start at once.
  ClientNode& add_client(int index, services::GenerateClientConfig config);

  // The worker's process dies: no goodbye, its connections go silent, its host drops
  // every datagram until restart().
  void crash(WorkerNode& worker);
  // A crashed worker's process starts again (same addresses, no failure plan).
  WorkerNode& restart(WorkerNode& worker);
  // Stops (true) or continues (false) every process on the host of `addr`.
  void freeze(const Address& addr, bool on);

  // Runs `fn` at virtual time `t` (in order of time, then of scheduling).
  void at(Timestamp t, std::function<void()> fn);
  // Runs until `done()` holds (true) or `limit` of virtual time passed (false).
  bool run_until(const std::function<bool()>& done, Duration limit);
  bool clients_finished() const;

  Timestamp now() const { return now_; }
  Network& net() { return net_; }
  services::DirectorService& director() { return *director_; }
  WorkerNode& worker(int index) { return *workers_.at(index); }
  bool has_worker(int index) const { return workers_.count(index) != 0; }
  std::vector<ClientNode*> clients();
  const Address& director_user() const { return director_user_; }
  const Address& director_mgmt() const { return director_mgmt_; }
  static Address worker_host(int index);
  // Settle rounds that hit the cap (a component that never goes quiet): a bug.
  std::uint64_t runaway = 0;
  std::uint64_t connections = 0;  // dialled so far

  // Internal, for WorkerNode: dials `remote` from `local_host` with keep-alive `keepalive`.
  Peer& dial(const Address& local_host, const Address& remote, Duration keepalive);
  HostState state(const Address& addr) const;

 private:
  struct Listener {
    const rpc::Registry* registry;
  };
  struct Slot {
    std::unique_ptr<Peer> peer;
    std::uint32_t host;
  };
  using Route = std::tuple<std::uint32_t, std::uint16_t, std::uint32_t, std::uint16_t>;

  void listen(const Address& addr, const rpc::Registry* registry);
  void receive(Datagram& d, Timestamp now);
  void accept(Datagram& d, const Listener& listener, Timestamp now);
  Peer& adopt(std::unique_ptr<quic::Connection> conn,
              const rpc::Registry* registry,
              const Address& local,
              const Address& remote);
  bool active(std::uint32_t host) const;
  bool settle_round();
  void settle();
  Timestamp next_time() const;

  SimOptions options_;
  Network net_;
  Timestamp now_ = 1000 * kSecond;
  quic::ServerConfig server_config_;
  quic::ClientConfig client_config_;
  Address director_user_, director_mgmt_;
  rpc::Registry director_user_registry_, director_mgmt_registry_;
  std::unique_ptr<services::DirectorService> director_;
  std::map<int, std::unique_ptr<WorkerNode>> workers_;
  std::vector<std::unique_ptr<WorkerNode>> dead_workers_;  // kept: peers may refer to them
  std::vector<std::unique_ptr<ClientNode>> clients_;
  std::map<std::string, Peer*, std::less<>> worker_conns_;  // director -> worker USER
  std::map<std::uint32_t, HostState> hosts_;
  std::map<std::uint32_t, std::uint16_t> next_port_;
  std::map<std::pair<std::uint32_t, std::uint16_t>, Listener> listeners_;
  std::map<Route, Peer*> routes_;  // (local host, port, remote host, port)
  std::vector<Slot> peers_;        // never shrinks: Sessions outlive their connections
  std::multimap<Timestamp, std::function<void()>> timeline_;
};

}  // namespace connswap::sim
