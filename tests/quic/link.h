#pragma once
// In-memory link for quic::Connection tests: a client, a server dispatcher, two datagram
// queues with one-way delay and seeded loss, and a virtual clock that jumps to the next
// delivery or deadline. No sockets, no sleeps, no real clock.

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <random>
#include <vector>

#include "base/address.h"
#include "quic/connection.h"

namespace connswap::quic::test {

struct LinkConfig {
  Duration delay = 1 * kMillisecond;  // one way
  double loss = 0.0;                  // probability a datagram is dropped
  std::uint64_t seed = 1;
};

using EventHandler = std::function<void(Connection&, Event&)>;

class Link {
 public:
  Link(ClientConfig client, ServerConfig server, LinkConfig config = {});

  // Creates the client connection (time starts at 1 s of virtual time).
  void start();
  Connection& client() { return *client_; }
  Connection* server() { return server_.get(); }
  Timestamp now() const { return now_; }

  // Handlers see every event; the link also records all but StreamData in *_events.
  EventHandler on_client;
  EventHandler on_server;
  std::vector<Event> client_events;
  std::vector<Event> server_events;

  // Runs until `pred` holds (true) or nothing can happen any more / `limit` of virtual
  // time passes (false).
  bool run_until(const std::function<bool()>& pred, Duration limit = 120 * kSecond);
  // Runs until both connections are closed.
  bool run_until_closed(Duration limit = 120 * kSecond);

  // Forget the server connection (a restart); unknown packets then get stateless resets
  // made with the server's static secret.
  void drop_server() { server_.reset(); }
  // Drop every datagram in both directions from now on (true) or deliver again (false).
  void set_blackhole(bool on) { blackhole_ = on; }

  Address client_addr;
  Address server_addr;
  std::uint64_t resets_sent = 0;
  std::uint64_t datagrams_sent = 0;
  std::uint64_t gso_batches = 0;  // write_datagrams results holding more than one datagram

 private:
  struct Datagram {
    Timestamp at;
    Path path;  // as the receiver sees it
    Bytes data;
  };

  bool flush(Connection* conn);
  bool pump(Connection* conn, const EventHandler& handler, std::vector<Event>& log);
  void enqueue(const Path& sender_path, ByteSpan data);
  void deliver(Datagram& d);
  void to_server(Datagram& d);
  Timestamp next_time();

  ClientConfig client_config_;
  ServerConfig server_config_;
  LinkConfig config_;
  std::mt19937_64 rng_;
  Timestamp now_ = 1 * kSecond;
  bool blackhole_ = false;
  std::unique_ptr<Connection> client_;
  std::unique_ptr<Connection> server_;
  std::deque<Datagram> to_server_;
  std::deque<Datagram> to_client_;
  Bytes buf_;
};

// Deterministic test payload and a checksum for it.
Bytes pattern(std::size_t n, std::uint64_t seed);
struct Fnv {
  std::uint64_t h = 1469598103934665603ull;
  void add(ByteSpan b);
};

}  // namespace connswap::quic::test
