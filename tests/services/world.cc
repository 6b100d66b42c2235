#include "services/world.h"

#include <algorithm>
#include <functional>

#include <gtest/gtest.h>

#include "base/log.h"

namespace connswap::services::testing {

using rpc::testing::kClientSide;
using rpc::testing::kServerSide;

Conn::Conn(const rpc::Registry& registry, rpc::testing::LinkConfig config) : link(config) {
  client = std::make_unique<rpc::Session>(link.transport(kClientSide), nullptr);
  server = std::make_unique<rpc::Session>(link.transport(kServerSide), &registry);
  link.attach(kClientSide, client.get());
  link.attach(kServerSide, server.get());
}

Conn::~Conn() {
  link.attach(kClientSide, nullptr);
  link.attach(kServerSide, nullptr);
}

void Conn::lose(std::string_view reason) {
  if (!alive) {
    return;
  }
  alive = false;
  client->on_connection_lost(reason);
  server->on_connection_lost(reason);
}

WorkerNode::WorkerNode(World& w,
                       worker::WorkerConfig c,
                       std::unique_ptr<worker::TokenSource> source)
    : world(w), config(std::move(c)) {
  NowFn now = [&w] { return w.now; };
  service = std::make_unique<WorkerService>(config, now, std::move(source));
  EXPECT_TRUE(service->add_user_methods(user));
  EXPECT_TRUE(service->add_mgmt_methods(mgmt));
  service->on_failure([this](worker::FailureAction a) {
    failures.push_back(a);
    if (a == worker::FailureAction::kCrash) {
      crash();
    }
  });
  RegistrationConfig rc{.label = config.label,
                        .user_addr = config.user_addr,
                        .mgmt_addr = config.mgmt_addr,
                        .model = config.model,
                        .heartbeat_interval = config.heartbeat_interval,
                        .jitter_seed = std::hash<std::string>()(config.label)};
  registration = std::make_unique<RegistrationClient>(
      rc, *this, [svc = service.get()] { return svc->status(); }, now);
}

WorkerNode::~WorkerNode() {
  registration->stop();
  service->stop();
}

Result<rpc::Session*> WorkerNode::session(Timestamp) {
  if (!world.director_reachable) {
    return make_error(Errc::kUnavailable, "director not reachable");
  }
  if (!to_director || !to_director->alive) {
    if (to_director) {
      world.graveyard.push_back(std::move(to_director));
    }
    to_director = std::make_unique<Conn>(*world.director_mgmt);
  }
  return to_director->client.get();
}

void WorkerNode::crash() {
  if (dead) {
    return;
  }
  dead = true;
  // The director sees its connections to the process go (ICMP / idle timeout) ...
  if (to_director) {
    to_director->lose("worker crashed");
  }
  if (auto it = world.director_to_worker.find(config.user_addr);
      it != world.director_to_worker.end()) {
    it->second->lose("worker crashed");
  }
  // ... and the process does nothing more.
  registration->stop();
  service->stop();
}

ClientNode::ClientNode(World& world, GenerateClientConfig config, rpc::testing::LinkConfig link) {
  conn = std::make_unique<Conn>(*world.director_user, link);
  client = std::make_unique<GenerateClient>(std::move(config), *conn->client);
  EXPECT_TRUE(client->start(world.now));
}

World::World(director::DirectorConfig config) : director_config(std::move(config)) {
  start_director();
}

World::~World() {
  clients.clear();
  admin.clear();
  if (director) {
    director->stop();
  }
  director_to_worker.clear();
  workers.clear();
  graveyard.clear();
}

void World::start_director() {
  if (director_user) {
    old_registries.push_back(std::move(director_user));
    old_registries.push_back(std::move(director_mgmt));
  }
  director_user = std::make_unique<rpc::Registry>();
  director_mgmt = std::make_unique<rpc::Registry>();
  director = std::make_unique<DirectorService>(director_config, *this, [this] { return now; });
  EXPECT_TRUE(director->add_user_methods(*director_user));
  EXPECT_TRUE(director->add_mgmt_methods(*director_mgmt));
  if (on_director_start) {
    on_director_start(*director);
  }
}

Result<rpc::Session*> World::connect(std::string_view user_addr, Timestamp) {
  auto w = std::find_if(workers.begin(), workers.end(), [&](const auto& kv) {
    return kv.second->config.user_addr == user_addr;
  });
  if (w == workers.end() || w->second->dead) {
    return make_error(Errc::kUnavailable, "connection refused");
  }
  auto& slot = director_to_worker[std::string(user_addr)];
  if (!slot || !slot->alive) {
    if (slot) {
      graveyard.push_back(std::move(slot));
    }
    slot = std::make_unique<Conn>(w->second->user, worker_link);
  }
  return slot->client.get();
}

WorkerNode& World::add_worker(worker::WorkerConfig config,
                              std::unique_ptr<worker::TokenSource> source) {
  const std::string label = config.label;
  auto node = std::make_unique<WorkerNode>(*this, std::move(config), std::move(source));
  WorkerNode& ref = *node;
  workers[label] = std::move(node);
  ref.registration->start(now);
  settle();
  return ref;
}

std::size_t World::reconnect(ClientNode& node) {
  graveyard.push_back(std::move(node.conn));
  node.conn = std::make_unique<Conn>(*director_user);
  const std::size_t started = node.client->resume(*node.conn->client, now);
  settle();
  return started;
}

ClientNode& World::add_client(GenerateClientConfig config, rpc::testing::LinkConfig link) {
  clients.push_back(std::make_unique<ClientNode>(*this, std::move(config), link));
  settle();
  return *clients.back();
}

void World::restart_director(bool tell_workers) {
  director->stop();
  for (auto& c : clients) {
    c->conn->lose("director restarted");
  }
  for (auto& [addr, conn] : director_to_worker) {
    conn->lose("director restarted");
    graveyard.push_back(std::move(conn));
  }
  director_to_worker.clear();
  for (auto& [label, w] : workers) {
    if (!w->to_director) {
      continue;
    }
    if (tell_workers) {
      w->to_director->lose("director restarted");
      w->registration->on_connection_lost(now);
    } else {
      w->to_director->frozen = true;  // the worker has not noticed yet
    }
    graveyard.push_back(std::move(w->to_director));
  }
  old_directors.push_back(std::move(director));
  start_director();
  settle();
}

std::vector<Conn*> World::conns() const {
  std::vector<Conn*> out;
  for (const auto& [addr, c] : director_to_worker) {
    out.push_back(c.get());
  }
  for (const auto& [label, w] : workers) {
    if (w->to_director) {
      out.push_back(w->to_director.get());
    }
  }
  for (const auto& c : clients) {
    out.push_back(c->conn.get());
  }
  for (const auto& c : admin) {
    out.push_back(c.get());
  }
  std::erase_if(out, [](Conn* c) { return !c->alive; });
  return out;
}

void World::settle() {
  for (int round = 0; round < 100'000; ++round) {
    bool fired = false;
    auto fire = [&](auto& component) {
      if (component.deadline() <= now) {
        component.on_timeout(now);
        fired = true;
      }
    };
    fire(*director);
    for (auto& [label, w] : workers) {
      if (!w->dead) {
        fire(*w->service);
        fire(*w->registration);
      }
    }
    std::size_t moved = 0;
    for (Conn* c : conns()) {
      fire(*c->client);
      fire(*c->server);
      if (c->alive && !c->frozen) {
        moved += c->link.pump(now);
      }
    }
    if (!fired && moved == 0) {
      return;
    }
  }
  ADD_FAILURE() << "the world never settled";
}

Timestamp World::next_deadline() const {
  Timestamp d = director->deadline();
  for (const auto& [label, w] : workers) {
    if (!w->dead) {
      d = std::min({d, w->service->deadline(), w->registration->deadline()});
    }
  }
  for (Conn* c : conns()) {
    d = std::min({d, c->client->deadline(), c->server->deadline()});
  }
  return d;
}

void World::run_until(Timestamp t) {
  for (settle(); next_deadline() <= t; settle()) {
    now = std::max(now, next_deadline());
  }
  now = std::max(now, t);
  settle();
}

bool World::run_until_clients_done(Duration limit) {
  const Timestamp end = now + limit;
  auto done = [this] {
    return std::all_of(
        clients.begin(), clients.end(), [](const auto& c) { return c->client->finished(); });
  };
  for (settle(); !done() && next_deadline() <= end; settle()) {
    now = std::max(now, next_deadline());
  }
  return done();
}

LogCapture::LogCapture(std::string_view logger) : logger_(logger) {
  sink_ = std::make_shared<spdlog::sinks::ostream_sink_st>(out_);
  sink_->set_pattern("%l %v");
  log::get(logger_).sinks().push_back(sink_);
}

LogCapture::~LogCapture() {
  auto& sinks = log::get(logger_).sinks();
  std::erase(sinks, sink_);
}

std::vector<std::string> LogCapture::lines() const {
  std::vector<std::string> out;
  std::istringstream in(out_.str());
  for (std::string line; std::getline(in, line);) {
    out.push_back(line);
  }
  return out;
}

bool LogCapture::contains(std::string_view line) const {
  const auto all = lines();
  return std::find(all.begin(), all.end(), line) != all.end();
}

}  // namespace connswap::services::testing
