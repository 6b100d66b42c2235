#include "sim/sim.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "quic/packet.h"
#include "support/test_pki.h"

namespace connswap::sim {
namespace {

constexpr std::uint16_t kDirectorUserPort = 61000;
constexpr std::uint16_t kDirectorMgmtPort = 61001;
constexpr std::uint16_t kWorkerUserPort = 62000;
constexpr std::uint16_t kWorkerMgmtPort = 63000;
constexpr std::uint16_t kFirstClientPort = 40000;
// As the apps: the director pings workers when quiet this long (apps/director), clients
// ping the director (apps/client); workers' MGMT connections rely on heartbeats.
constexpr Duration kDirectorKeepalive = 200 * kMillisecond;
constexpr Duration kClientKeepalive = 500 * kMillisecond;
constexpr int kMaxSettleRounds = 100'000;

const Sim* g_current = nullptr;  // for virtual_now(); one Sim runs at a time

Address host_address(int last_octet, std::uint16_t port) {
  auto a = Address::parse("10.0.0." + std::to_string(last_octet) + ":" + std::to_string(port));
  if (!a) {
    std::fprintf(stderr, "sim: bad address: %s\n", a.error().message().c_str());
    std::abort();
  }
  return *a;
}

Address with_port(Address a, std::uint16_t port) {
  a.set_port(port);
  return a;
}

const testing::TestPki& pki() {
  static const testing::TestPki p = testing::make_test_pki();
  return p;
}

std::shared_ptr<const quic::TlsContext> server_tls() {
  static const auto tls = [] {
    quic::ServerTlsOptions o;
    o.cert_file = pki().server_cert.string();
    o.key_file = pki().server_key.string();
    auto r = quic::TlsContext::make_server(o);
    if (!r) {
      std::fprintf(stderr, "sim: server TLS: %s\n", r.error().message().c_str());
      std::abort();
    }
    return *r;
  }();
  return tls;
}

std::shared_ptr<const quic::TlsContext> client_tls() {
  static const auto tls = [] {
    quic::ClientTlsOptions o;
    o.ca_file = pki().ca_cert.string();
    auto r = quic::TlsContext::make_client(o);
    if (!r) {
      std::fprintf(stderr, "sim: client TLS: %s\n", r.error().message().c_str());
      std::abort();
    }
    return *r;
  }();
  return tls;
}

}  // namespace

Timestamp virtual_now() {
  return g_current == nullptr ? 0 : g_current->now();
}

WorkerNode::WorkerNode(Sim& s, int i, worker::WorkerConfig c)
    : sim(s), index(i), config(std::move(c)) {
  services::NowFn now = [&s] { return s.now(); };
  service = std::make_unique<services::WorkerService>(config, now);
  (void)service->add_user_methods(user);
  (void)service->add_mgmt_methods(mgmt);
  service->on_failure([this](worker::FailureAction a) {
    if (a == worker::FailureAction::kCrash) {
      sim.crash(*this);
    }
  });
  services::RegistrationConfig rc{.label = config.label,
                                  .user_addr = config.user_addr,
                                  .mgmt_addr = config.mgmt_addr,
                                  .heartbeat_interval = config.heartbeat_interval,
                                  .jitter_seed = static_cast<std::uint64_t>(index) + 1};
  registration = std::make_unique<services::RegistrationClient>(
      rc, *this, [svc = service.get()] { return svc->status(); }, now);
}

WorkerNode::~WorkerNode() {
  registration->stop();
  service->stop();
}

Address WorkerNode::host() const {
  return Sim::worker_host(index);
}

Result<rpc::Session*> WorkerNode::session(Timestamp /*now*/) {
  if (to_director != nullptr && !to_director->lost()) {
    return &to_director->session();
  }
  Peer& p = sim.dial(host(), sim.director_mgmt(), 0);
  to_director = &p;
  p.on_lost = [this, peer = &p](const quic::ConnectionClosed&) {
    if (to_director == peer) {
      to_director = nullptr;
      registration->on_connection_lost(sim.now());
    }
  };
  return &p.session();
}

Sim::Sim(SimOptions options)
    : options_(std::move(options)),
      net_(options_.seed),
      director_user_(host_address(1, kDirectorUserPort)),
      director_mgmt_(host_address(1, kDirectorMgmtPort)) {
  net_.set_default(options_.link);
  net_.set_receiver([this](Datagram& d, Timestamp now) { receive(d, now); });
  server_config_.tls = server_tls();
  server_config_.transport = options_.transport;
  server_config_.static_secret = quic::derive_static_secret(as_bytes("connswap sim"));
  client_config_.tls = client_tls();
  client_config_.transport = options_.transport;
  client_config_.server_name = "localhost";
  options_.director.user_addr = director_user_.to_string();
  options_.director.mgmt_addr = director_mgmt_.to_string();
  director_ = std::make_unique<services::DirectorService>(
      options_.director, *this, [this] { return now_; });
  (void)director_->add_user_methods(director_user_registry_);
  (void)director_->add_mgmt_methods(director_mgmt_registry_);
  listen(director_user_, &director_user_registry_);
  listen(director_mgmt_, &director_mgmt_registry_);
  g_current = this;
}

Sim::~Sim() {
  if (g_current == this) {
    g_current = nullptr;
  }
  // Owners first (each stops its calls), then the connections, then the services.
  for (auto& c : clients_) {
    c->client->cancel();
  }
  clients_.clear();
  director_->stop();
  for (auto& [i, w] : workers_) {
    w->registration->stop();
    w->service->stop();
  }
  for (auto& w : dead_workers_) {
    w->registration->stop();
    w->service->stop();
  }
  for (auto& s : peers_) {
    s.peer->on_lost = nullptr;
  }
  peers_.clear();
  workers_.clear();
  dead_workers_.clear();
  director_.reset();
}

Address Sim::worker_host(int index) {
  return host_address(10 + index, 0);
}

void Sim::listen(const Address& addr, const rpc::Registry* registry) {
  listeners_[{host_of(addr), addr.port()}] = Listener{registry};
}

Result<rpc::Session*> Sim::connect(std::string_view user_addr, Timestamp /*now*/) {
  if (auto it = worker_conns_.find(user_addr); it != worker_conns_.end()) {
    if (!it->second->lost()) {
      return &it->second->session();
    }
    worker_conns_.erase(it);
  }
  auto remote = Address::parse(user_addr);
  if (!remote) {
    return Unexpected(std::move(remote).error());
  }
  Peer& p = dial(director_user_, *remote, kDirectorKeepalive);
  const std::string key(user_addr);
  p.on_lost = [this, key, peer = &p](const quic::ConnectionClosed&) {
    if (auto it = worker_conns_.find(key); it != worker_conns_.end() && it->second == peer) {
      worker_conns_.erase(it);
    }
  };
  worker_conns_[key] = &p;
  return &p.session();
}

WorkerNode& Sim::add_worker(int index, worker::WorkerConfig config) {
  const Address host = worker_host(index);
  config.label = "worker-" + std::to_string(index);
  config.user_addr = with_port(host, kWorkerUserPort).to_string();
  config.mgmt_addr = with_port(host, kWorkerMgmtPort).to_string();
  auto node = std::make_unique<WorkerNode>(*this, index, std::move(config));
  WorkerNode& ref = *node;
  workers_[index] = std::move(node);
  hosts_[host_of(host)] = HostState::kUp;
  listen(with_port(host, kWorkerUserPort), &ref.user);
  listen(with_port(host, kWorkerMgmtPort), &ref.mgmt);
  ref.registration->start(now_);
  return ref;
}

ClientNode& Sim::add_client(int index, services::GenerateClientConfig config) {
  auto node = std::make_unique<ClientNode>();
  node->host = host_address(100 + index, 0);
  node->config = std::move(config);
  node->peer = &dial(node->host, director_user_, kClientKeepalive);
  node->client = std::make_unique<services::GenerateClient>(node->config, node->peer->session());
  (void)node->client->start(now_);
  clients_.push_back(std::move(node));
  return *clients_.back();
}

std::vector<ClientNode*> Sim::clients() {
  std::vector<ClientNode*> out;
  for (auto& c : clients_) {
    out.push_back(c.get());
  }
  return out;
}

void Sim::crash(WorkerNode& worker) {
  if (worker.dead) {
    return;
  }
  worker.dead = true;
  const std::uint32_t host = host_of(worker.host());
  hosts_[host] = HostState::kDown;
  for (auto& s : peers_) {
    if (s.host == host) {
      s.peer->dead = true;
    }
  }
  std::erase_if(routes_, [&](const auto& kv) { return std::get<0>(kv.first) == host; });
}

WorkerNode& Sim::restart(WorkerNode& worker) {
  const int index = worker.index;
  worker::WorkerConfig config = worker.config;
  config.fail_mode = worker::FailMode::kNone;
  config.fail_after = 0;
  crash(worker);
  dead_workers_.push_back(std::move(workers_.at(index)));
  workers_.erase(index);
  return add_worker(index, std::move(config));
}

void Sim::freeze(const Address& addr, bool on) {
  auto& state = hosts_[host_of(addr)];
  if (state != HostState::kDown) {
    state = on ? HostState::kFrozen : HostState::kUp;
  }
}

HostState Sim::state(const Address& addr) const {
  auto it = hosts_.find(host_of(addr));
  return it == hosts_.end() ? HostState::kUp : it->second;
}

bool Sim::active(std::uint32_t host) const {
  auto it = hosts_.find(host);
  return it == hosts_.end() || it->second == HostState::kUp;
}

Peer& Sim::dial(const Address& local_host, const Address& remote, Duration keepalive) {
  auto& port = next_port_[host_of(local_host)];
  if (port == 0) {
    port = kFirstClientPort;
  }
  const Address local = with_port(local_host, port++);
  quic::ClientConfig config = client_config_;
  config.transport.keepalive = keepalive;
  auto conn = quic::Connection::connect(config, quic::Path{local, remote, 0}, now_);
  if (!conn) {
    std::fprintf(stderr, "sim: connect: %s\n", conn.error().message().c_str());
    std::abort();
  }
  return adopt(std::move(*conn), nullptr, local, remote);
}

Peer& Sim::adopt(std::unique_ptr<quic::Connection> conn,
                 const rpc::Registry* registry,
                 const Address& local,
                 const Address& remote) {
  ++connections;
  peers_.push_back(Slot{std::make_unique<Peer>(std::move(conn), registry), host_of(local)});
  Peer& p = *peers_.back().peer;
  routes_[Route{host_of(local), local.port(), host_of(remote), remote.port()}] = &p;
  return p;
}

void Sim::receive(Datagram& d, Timestamp now) {
  const std::uint32_t host = host_of(d.to);
  if (!active(host)) {
    return;  // down or stopped: the datagram is lost
  }
  if (auto it = routes_.find(Route{host, d.to.port(), host_of(d.from), d.from.port()});
      it != routes_.end()) {
    it->second->on_datagram(d, now);
    return;
  }
  auto l = listeners_.find({host, d.to.port()});
  if (l == listeners_.end()) {
    return;  // nobody listens: silence (no ICMP in the simulation)
  }
  accept(d, l->second, now);
}

void Sim::accept(Datagram& d, const Listener& listener, Timestamp now) {
  if (quic::accept_initial(d.data)) {
    auto conn = quic::Connection::accept(server_config_, quic::Path{d.to, d.from, 0}, d.data, now);
    if (conn) {
      adopt(std::move(*conn), listener.registry, d.to, d.from);
    }
    return;
  }
  // As net::ServerEndpoint: a short-header packet of a connection we do not know (e.g. one
  // of our previous incarnation) gets a stateless reset.
  auto header = quic::decode_header(d.data);
  if (!header || header->long_header) {
    return;
  }
  Bytes out(1500);
  auto n =
      quic::write_stateless_reset(out, server_config_.static_secret, header->dcid, d.data.size());
  if (n && *n > 0) {
    net_.send(d.to, d.from, ByteSpan(out).first(*n), now);
  }
}

bool Sim::settle_round() {
  bool progress = false;
  auto fire = [&](auto& component) {
    if (component.deadline() <= now_) {
      component.on_timeout(now_);
      progress = true;
    }
  };
  fire(*director_);
  for (auto& [i, w] : workers_) {
    if (!w->dead && active(host_of(w->host()))) {
      fire(*w->service);
    }
    if (!w->dead && active(host_of(w->host()))) {
      fire(*w->registration);
    }
  }
  for (std::size_t i = 0; i < peers_.size(); ++i) {
    Peer* p = peers_[i].peer.get();
    if (p->finished() || !active(peers_[i].host)) {
      continue;
    }
    progress = p->fire(now_) || progress;
    progress = p->pump(now_) || progress;
    progress = p->flush(net_, now_) || progress;
  }
  return progress;
}

void Sim::settle() {
  for (int round = 0; round < kMaxSettleRounds; ++round) {
    if (!settle_round()) {
      return;
    }
  }
  ++runaway;
}

Timestamp Sim::next_time() const {
  Timestamp t = std::min(net_.next_delivery(), director_->deadline());
  if (!timeline_.empty()) {
    t = std::min(t, timeline_.begin()->first);
  }
  for (const auto& [i, w] : workers_) {
    if (!w->dead && active(host_of(w->host()))) {
      t = std::min({t, w->service->deadline(), w->registration->deadline()});
    }
  }
  for (const auto& s : peers_) {
    if (!s.peer->finished() && active(s.host)) {
      t = std::min(t, s.peer->deadline());
    }
  }
  return t;
}

void Sim::at(Timestamp t, std::function<void()> fn) {
  timeline_.emplace(t, std::move(fn));
}

bool Sim::run_until(const std::function<bool()>& done, Duration limit) {
  const Timestamp end = now_ + limit;
  for (;;) {
    settle();
    if (done()) {
      return true;
    }
    Timestamp next = next_time();
    if (next > end) {
      now_ = end;
      return false;
    }
    // A deadline that stays due after its timer ran must not stop the clock.
    now_ = std::max(now_ + (next <= now_ ? kMicrosecond : 0), next);
    while (!timeline_.empty() && timeline_.begin()->first <= now_) {
      auto fn = std::move(timeline_.begin()->second);
      timeline_.erase(timeline_.begin());
      fn();
    }
    net_.deliver_due(now_);
  }
}

bool Sim::clients_finished() const {
  return std::all_of(
      clients_.begin(), clients_.end(), [](const auto& c) { return c->client->finished(); });
}

}  // namespace connswap::sim
