#include "quic/link.h"

#include <gtest/gtest.h>

#include "quic/packet.h"

namespace connswap::quic::test {

Link::Link(ClientConfig client, ServerConfig server, LinkConfig config)
    : client_addr(Address::loopback_v4(40000)),
      server_addr(Address::loopback_v4(4433)),
      client_config_(std::move(client)),
      server_config_(std::move(server)),
      config_(config),
      rng_(config.seed),
      buf_(64 * 1024) {}

void Link::start() {
  auto c = Connection::connect(client_config_, Path{client_addr, server_addr, 1}, now_);
  ASSERT_TRUE(c) << c.error().message();
  client_ = std::move(*c);
}

void Link::enqueue(const Path& sender_path, ByteSpan data) {
  ++datagrams_sent;
  if (blackhole_) {
    return;
  }
  if (config_.loss > 0 && std::uniform_real_distribution<double>(0, 1)(rng_) < config_.loss) {
    return;
  }
  Datagram d{now_ + config_.delay,
             Path{sender_path.remote, sender_path.local, 0},
             Bytes(data.begin(), data.end())};
  (d.path.local == server_addr ? to_server_ : to_client_).push_back(std::move(d));
}

bool Link::flush(Connection* conn) {
  if (conn == nullptr || conn->is_closed()) {
    return false;
  }
  bool any = false;
  for (;;) {
    auto r = conn->write_datagrams(buf_, now_);
    if (!r || r->bytes == 0) {
      return any;
    }
    any = true;
    EXPECT_GT(r->segment_size, 0u);
    gso_batches += r->bytes > r->segment_size ? 1 : 0;
    for (std::size_t off = 0; off < r->bytes; off += r->segment_size) {
      std::size_t n = std::min(r->segment_size, r->bytes - off);
      enqueue(r->path, ByteSpan(buf_).subspan(off, n));
    }
  }
}

bool Link::pump(Connection* conn, const EventHandler& handler, std::vector<Event>& log) {
  if (conn == nullptr) {
    return false;
  }
  bool any = false;
  while (auto ev = conn->poll_event()) {
    any = true;
    if (!std::holds_alternative<StreamData>(*ev)) {
      log.push_back(*ev);
    }
    if (handler) {
      handler(*conn, *ev);
    }
  }
  return any;
}

void Link::to_server(Datagram& d) {
  if (server_ != nullptr) {
    (void)server_->on_datagram(d.path, d.data, now_);
    return;
  }
  if (accept_initial(d.data)) {
    auto s = Connection::accept(server_config_, d.path, d.data, now_);
    ASSERT_TRUE(s) << s.error().message();
    server_ = std::move(*s);
    return;
  }
  // Unknown connection: answer with a stateless reset (RFC 9000 §10.3).
  auto hdr = decode_header(d.data);
  if (!hdr || hdr->long_header) {
    return;
  }
  Bytes out(1500);
  auto n = write_stateless_reset(out, server_config_.static_secret, hdr->dcid, d.data.size());
  if (n && *n > 0) {
    ++resets_sent;
    enqueue(Path{d.path.local, d.path.remote, 0}, ByteSpan(out).first(*n));
  }
}

void Link::deliver(Datagram& d) {
  if (d.path.local == server_addr) {
    to_server(d);
  } else if (client_ && !client_->is_closed()) {
    (void)client_->on_datagram(d.path, d.data, now_);
  }
}

Timestamp Link::next_time() {
  Timestamp t = kNever;
  if (!to_server_.empty()) {
    t = std::min(t, to_server_.front().at);
  }
  if (!to_client_.empty()) {
    t = std::min(t, to_client_.front().at);
  }
  if (client_) {
    t = std::min(t, client_->deadline());
  }
  if (server_) {
    t = std::min(t, server_->deadline());
  }
  return t;
}

bool Link::run_until(const std::function<bool()>& pred, Duration limit) {
  Timestamp end = now_ + limit;
  for (;;) {
    bool busy = true;
    while (busy) {
      busy = pump(client_.get(), on_client, client_events);
      busy = pump(server_.get(), on_server, server_events) || busy;
      busy = flush(client_.get()) || busy;
      busy = flush(server_.get()) || busy;
    }
    if (pred()) {
      return true;
    }
    Timestamp next = next_time();
    if (next == kNever || next > end) {
      return false;
    }
    now_ = std::max(now_, next);
    for (auto* q : {&to_server_, &to_client_}) {
      while (!q->empty() && q->front().at <= now_) {
        Datagram d = std::move(q->front());
        q->pop_front();
        deliver(d);
      }
    }
    for (Connection* c : {client_.get(), server_.get()}) {
      if (c != nullptr && c->deadline() <= now_) {
        (void)c->on_timeout(now_);
      }
    }
  }
}

bool Link::run_until_closed(Duration limit) {
  return run_until(
      [&] { return client_->is_closed() && (server_ == nullptr || server_->is_closed()); }, limit);
}

Bytes pattern(std::size_t n, std::uint64_t seed) {
  Bytes out(n);
  std::uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (std::size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    out[i] = static_cast<std::uint8_t>(x);
  }
  return out;
}

void Fnv::add(ByteSpan b) {
  for (std::uint8_t c : b) {
    h = (h ^ c) * 1099511628211ull;
  }
}

}  // namespace connswap::quic::test
