#pragma once
// An in-memory connswap deployment for end-to-end service tests: one DirectorService, any
// number of WorkerServices (each with a RegistrationClient) and GenerateClients, every
// connection a FakeLink, all on one virtual clock. Workers can fail (their FailurePlan),
// crash (connections lost), be partitioned from the director's MGMT port, drain and
// restart; the director can restart.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <spdlog/sinks/ostream_sink.h>

#include "rpc/registry.h"
#include "rpc/session.h"
#include "services/director_service.h"
#include "services/generate_client.h"
#include "services/registration_client.h"
#include "services/worker_service.h"
#include "support/fake_link.h"

namespace connswap::services::testing {

// One connection: `client` opened it, `server` serves `registry` calls.
struct Conn {
  Conn(const rpc::Registry& registry, rpc::testing::LinkConfig config = {});
  ~Conn();
  // Both ends see the connection go (as after an idle timeout or a crash).
  void lose(std::string_view reason);

  rpc::testing::FakeLink link;
  std::unique_ptr<rpc::Session> client;
  std::unique_ptr<rpc::Session> server;
  bool alive = true;
  bool frozen = false;  // partitioned: nothing is delivered, nobody is told
};

class World;

struct WorkerNode : DirectorLink {
  // `source` null: the synthetic source.
  WorkerNode(World& world,
             worker::WorkerConfig config,
             std::unique_ptr<worker::TokenSource> source = nullptr);
  ~WorkerNode() override;
  Result<rpc::Session*> session(Timestamp now) override;  // DirectorLink
  // The process dies: every connection of the worker is lost; it never answers again.
  void crash();

  World& world;
  worker::WorkerConfig config;
  rpc::Registry user, mgmt;
  std::unique_ptr<WorkerService> service;
  std::unique_ptr<RegistrationClient> registration;
  std::unique_ptr<Conn> to_director;  // MGMT: worker -> director
  bool dead = false;
  std::vector<worker::FailureAction> failures;  // what on_failure reported
};

struct ClientNode {
  ClientNode(World& world, GenerateClientConfig config, rpc::testing::LinkConfig link);
  std::unique_ptr<Conn> conn;  // client -> director USER
  std::unique_ptr<GenerateClient> client;
};

class World : public WorkerConnector {
 public:
  explicit World(director::DirectorConfig config = {});
  ~World() override;

  // WorkerConnector: a (pooled) connection to the worker at `user_addr`.
  Result<rpc::Session*> connect(std::string_view user_addr, Timestamp now) override;

  // Adds a worker "worker-x" at "10.0.0.x:62000" over `source` (null: the synthetic one)
  // and starts its registration.
  WorkerNode& add_worker(worker::WorkerConfig config,
                         std::unique_ptr<worker::TokenSource> source = nullptr);
  // Starts a client with `config` (its calls start at once).
  ClientNode& add_client(GenerateClientConfig config, rpc::testing::LinkConfig link = {});
  // Gives the client a new connection to the current director (the old one is kept, dead,
  // in the graveyard) and resumes its interrupted streams there; returns how many.
  std::size_t reconnect(ClientNode& node);
  // Replaces the director by a fresh one (a restart); every connection to it is lost.
  // `tell_workers`: whether the workers' RegistrationClients are told their MGMT
  // connection went (else they find out from a NOT_FOUND heartbeat).
  void restart_director(bool tell_workers);

  // Fires due timers and delivers everything until quiet, at the current time.
  void settle();
  // Runs the loop (timers, deliveries) up to `t`.
  void run_until(Timestamp t);
  void run_for(Duration d) { run_until(now + d); }
  // Runs until every client finished, or `limit` passes; true if all finished.
  bool run_until_clients_done(Duration limit);
  // The earliest timer of the director, the live workers and the live connections.
  Timestamp next_deadline() const;

  WorkerNode& worker(const std::string& label) { return *workers.at(label); }

  Timestamp now = 1000 * kSecond;
  migration::UnixSeconds wall_base = 1'700'000'000;  // wall clock at `now` = 1000 s
  // Runs on every director as it starts (e.g. enable_resume), restarts included.
  std::function<void(DirectorService&)> on_director_start;
  migration::UnixSeconds wall_now() const { return wall_base + (now / kSecond - 1000); }
  bool director_reachable = true;        // false: workers' DirectorLink::session() fails
  rpc::testing::LinkConfig worker_link;  // director -> worker USER connections made from now
  director::DirectorConfig director_config;
  std::unique_ptr<rpc::Registry> director_user, director_mgmt;
  std::unique_ptr<DirectorService> director;
  std::map<std::string, std::unique_ptr<WorkerNode>> workers;
  std::map<std::string, std::unique_ptr<Conn>> director_to_worker;  // by user_addr
  std::vector<std::unique_ptr<ClientNode>> clients;
  std::vector<std::unique_ptr<Conn>> admin;  // operator connections to the director's MGMT
  // Kept alive (not pumped) after they were replaced, so no Session dies inside a callback.
  std::vector<std::unique_ptr<Conn>> graveyard;
  std::vector<std::unique_ptr<DirectorService>> old_directors;
  std::vector<std::unique_ptr<rpc::Registry>> old_registries;

 private:
  void start_director();
  std::vector<Conn*> conns() const;
};

// Captures one logger's lines (message only) while alive.
class LogCapture {
 public:
  explicit LogCapture(std::string_view logger);
  ~LogCapture();
  std::vector<std::string> lines() const;
  bool contains(std::string_view line) const;

 private:
  std::string logger_;
  std::ostringstream out_;
  std::shared_ptr<spdlog::sinks::ostream_sink_st> sink_;
};

}  // namespace connswap::services::testing
