#include "support/fake_link.h"

#include <algorithm>

namespace connswap::rpc::testing {

class FakeLink::Endpoint : public StreamTransport {
 public:
  Endpoint(FakeLink& link, Side side) : link_(link), side_(side) {}

  Result<StreamId> open_stream() override {
    if (side_ != kClientSide) {
      return make_error(Errc::kInvalidArgument, "only the client side opens streams here");
    }
    if (link_.open_streams() >= link_.config_.max_streams) {
      link_.blocked_ = true;
      return make_error(Errc::kResourceExhausted, "stream limit");
    }
    const StreamId id = link_.next_stream_;
    link_.next_stream_ += 4;  // client-initiated bidi ids, as in QUIC
    link_.streams_[id];
    return id;
  }

  Result<void> send(StreamId id, Bytes data, bool fin) override {
    Direction& d = link_.dir(id, side_);
    if (d.fin || d.reset) {
      return make_error(Errc::kClosed, "stream send side closed");
    }
    d.buf.insert(d.buf.end(), data.begin(), data.end());
    d.fin = fin;
    link_.note_buffered(side_, d);
    return {};
  }

  std::size_t send_buffered(StreamId id) const override {
    auto it = link_.streams_.find(id);
    return it == link_.streams_.end() ? 0 : it->second.dirs[side_].buf.size();
  }

  void consume(StreamId id, std::size_t bytes) override {
    Direction& d = link_.dir(id, other());
    d.consumed += bytes;
    if (d.consumed > d.delivered) {
      link_.credit_violation_ = true;
    }
  }

  void reset_stream(StreamId id, std::uint64_t code) override {
    Direction& d = link_.dir(id, side_);
    if (!d.reset && !d.fin_delivered) {
      d.reset = code;
      d.buf.clear();
    }
  }

  void stop_sending(StreamId id, std::uint64_t code) override {
    Direction& d = link_.dir(id, other());
    if (!d.stop && !d.finished()) {
      d.stop = code;
    }
  }

 private:
  Side other() const { return side_ == kClientSide ? kServerSide : kClientSide; }
  FakeLink& link_;
  Side side_;
};

FakeLink::FakeLink(LinkConfig config) : config_(config) {
  endpoints_[kClientSide] = std::make_unique<Endpoint>(*this, kClientSide);
  endpoints_[kServerSide] = std::make_unique<Endpoint>(*this, kServerSide);
}

FakeLink::~FakeLink() = default;

StreamTransport& FakeLink::transport(Side side) {
  return *endpoints_[side];
}

const FakeLink::Direction* FakeLink::direction(StreamId id, Side from) const {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : &it->second.dirs[from];
}

std::size_t FakeLink::open_streams() const {
  return static_cast<std::size_t>(std::count_if(streams_.begin(), streams_.end(), [](auto& s) {
    return !s.second.dirs[0].finished() || !s.second.dirs[1].finished();
  }));
}

bool FakeLink::credit_balanced() const {
  if (credit_violation_) {
    return false;
  }
  for (const auto& [id, s] : streams_) {
    for (const auto& d : s.dirs) {
      if (d.consumed != d.delivered) {
        return false;
      }
    }
  }
  return true;
}

void FakeLink::note_buffered(Side from, const Direction& d) {
  max_buffered_[from] = std::max(max_buffered_[from], d.buf.size());
}

bool FakeLink::pump_stop(StreamId id, Stream& stream, Side from) {
  // STOP_SENDING travels from the receiver (`to`) back to the sender (`from`).
  Direction& d = stream.dirs[from];
  if (!d.stop || d.stop_delivered) {
    return false;
  }
  d.stop_delivered = true;
  // RFC 9000 §3.5: the sender's stack answers with RESET_STREAM on its own.
  if (!d.reset && !d.fin_delivered) {
    d.reset = *d.stop;
    d.buf.clear();
  }
  if (Session* s = sessions_[from]) {
    s->on_stop_sending(id, *d.stop);
  }
  return true;
}

bool FakeLink::pump_direction(StreamId id, Stream& stream, Side from, Timestamp now) {
  const Side to = from == kClientSide ? kServerSide : kClientSide;
  Direction& d = stream.dirs[from];
  Session* receiver = sessions_[to];
  if (d.reset) {
    if (d.reset_delivered || d.fin_delivered) {
      return false;
    }
    d.reset_delivered = true;
    if (receiver) {
      receiver->on_stream_reset(id, *d.reset);
    }
    return true;
  }
  const std::uint64_t credit = config_.stream_window + d.consumed - d.delivered;
  const std::size_t n = std::min({d.buf.size(), static_cast<std::size_t>(credit), config_.chunk});
  const bool fin = d.fin && !d.fin_delivered && n == d.buf.size();
  if (n == 0 && !fin) {
    return false;
  }
  Bytes piece(d.buf.begin(), d.buf.begin() + static_cast<std::ptrdiff_t>(n));
  d.buf.erase(d.buf.begin(), d.buf.begin() + static_cast<std::ptrdiff_t>(n));
  d.delivered += n;
  d.fin_delivered = fin;
  d.received.insert(d.received.end(), piece.begin(), piece.end());
  const std::size_t unconsumed = static_cast<std::size_t>(d.delivered - d.consumed);
  max_unconsumed_[to] = std::max(max_unconsumed_[to], unconsumed);
  if (d.buf.size() >= config_.low_water) {
    d.above_low = true;
  }
  const bool writable = d.above_low && d.buf.size() < config_.low_water;
  if (receiver) {
    receiver->on_stream_data(id, piece, fin, now);
  } else {
    d.consumed += n;
  }
  // `d` is still valid: std::map nodes do not move.
  if (writable && d.above_low) {
    d.above_low = false;
    if (Session* s = sessions_[from]) {
      s->on_stream_writable(id);
    }
  }
  return true;
}

std::size_t FakeLink::pump(Timestamp now) {
  std::size_t events = 0;
  for (bool moved = true; moved;) {
    moved = false;
    for (auto& [id, stream] : streams_) {
      if (!stream.announced) {
        stream.announced = true;
        if (sessions_[kServerSide]) {
          sessions_[kServerSide]->on_stream_opened(id);
        }
        moved = true;
      }
      for (Side from : {kClientSide, kServerSide}) {
        bool step = pump_direction(id, stream, from, now);
        step = pump_stop(id, stream, from) || step;
        moved = moved || step;
        events += step ? 1 : 0;
      }
    }
    if (blocked_ && open_streams() < config_.max_streams) {
      blocked_ = false;
      moved = true;
      if (sessions_[kClientSide]) {
        sessions_[kClientSide]->on_streams_available(now);
      }
    }
  }
  return events;
}

}  // namespace connswap::rpc::testing
