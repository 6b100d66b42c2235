#pragma once
// An in-memory "connection" between two rpc::Sessions: bidirectional streams with QUIC's
// semantics as the RPC core sees them (per-stream flow-control window returned through
// consume(), RESET_STREAM, STOP_SENDING answered by an automatic RESET_STREAM, a stream
// limit, writable notifications at a low-water mark). Deterministic: pump() delivers in
// stream-id order, in chunks of `chunk` bytes, until nothing moves. No clock: tests pass
// virtual `now`.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>

#include "base/bytes.h"
#include "base/time.h"
#include "rpc/session.h"
#include "rpc/transport.h"

namespace connswap::rpc::testing {

struct LinkConfig {
  std::size_t stream_window = 64 * 1024;  // receiver's per-stream flow-control window
  std::size_t low_water = 16 * 1024;      // writable notification below this
  std::size_t chunk = 1000;               // bytes per delivered piece (exercises splitting)
  std::size_t max_streams = SIZE_MAX;     // concurrently open streams
};

enum Side : int { kClientSide = 0, kServerSide = 1 };

class FakeLink {
 public:
  explicit FakeLink(LinkConfig config = {});
  FakeLink(const FakeLink&) = delete;
  FakeLink& operator=(const FakeLink&) = delete;

  StreamTransport& transport(Side side);
  void attach(Side side, Session* session) { sessions_[side] = session; }

  // Delivers everything deliverable; returns the number of events delivered.
  std::size_t pump(Timestamp now);

  // Inspection. `from` is the sending side of the direction.
  struct Direction {
    // Accepted by send(), not yet delivered. A deque: delivered pieces leave from the front,
    // which for a vector cost a move of the rest each (seconds for a 4 MiB message).
    std::deque<std::uint8_t> buf;
    bool fin = false;
    bool fin_delivered = false;
    std::optional<std::uint64_t> reset;  // RESET_STREAM by the sender
    bool reset_delivered = false;
    std::optional<std::uint64_t> stop;  // STOP_SENDING by the receiver
    bool stop_delivered = false;
    std::uint64_t delivered = 0;
    std::uint64_t consumed = 0;
    bool above_low = false;
    Bytes received;  // everything delivered, for inspection
    bool finished() const { return fin_delivered || reset_delivered; }
  };
  const Direction* direction(StreamId id, Side from) const;
  std::size_t open_streams() const;
  bool credit_balanced() const;  // every delivered byte consumed, never more
  std::size_t max_buffered(Side from) const { return max_buffered_[from]; }
  std::size_t max_unconsumed(Side to) const { return max_unconsumed_[to]; }

 private:
  class Endpoint;
  struct Stream {
    Direction dirs[2];  // indexed by sending side
    bool announced = false;
  };
  Direction& dir(StreamId id, Side from) { return streams_[id].dirs[from]; }
  bool pump_direction(StreamId id, Stream& stream, Side from, Timestamp now);
  bool pump_stop(StreamId id, Stream& stream, Side from);
  void note_buffered(Side from, const Direction& d);

  LinkConfig config_;
  std::unique_ptr<Endpoint> endpoints_[2];
  Session* sessions_[2] = {nullptr, nullptr};
  std::map<StreamId, Stream> streams_;
  StreamId next_stream_ = 0;
  bool blocked_ = false;  // an open_stream() failed on the stream limit
  std::size_t max_buffered_[2] = {0, 0};
  std::size_t max_unconsumed_[2] = {0, 0};
  bool credit_violation_ = false;
  friend class Endpoint;

 public:
  ~FakeLink();
};

}  // namespace connswap::rpc::testing
