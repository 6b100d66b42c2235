// Streams: bulk echo, many streams, resets, flow control, stream credit.

#include <functional>
#include <map>

#include <gtest/gtest.h>

#include "quic/fixture.h"

namespace connswap::quic::test {
namespace {

// Server side of an echo service: returns every byte on the same stream, FIN for FIN.
void echo_server(Connection& conn, Event& ev) {
  if (auto* d = std::get_if<StreamData>(&ev)) {
    std::size_t n = d->data.size();
    auto r = conn.send(d->id, std::move(d->data), d->fin);
    EXPECT_TRUE(r) << r.error().message();
    conn.consume(d->id, n);
  }
}

bool handshaken(Link& link) {
  return link.client().handshake_completed() && link.server() != nullptr &&
         link.server()->handshake_completed();
}

// Streams `total` bytes of pattern() in `chunk`-sized pieces, keeping at most `high` bytes
// buffered, topping up on StreamWritable.
struct Uploader {
  StreamId id = -1;
  std::size_t total = 0;
  std::size_t sent = 0;
  std::size_t chunk = 256 << 10;
  std::size_t high = 2 << 20;
  Bytes data;
  Fnv sum;

  void pump(Connection& conn) {
    while (sent < total && conn.send_buffered(id) < high) {
      std::size_t n = std::min(chunk, total - sent);
      ByteSpan piece = ByteSpan(data).subspan(sent % data.size(), n);
      sum.add(piece);
      sent += n;
      ASSERT_TRUE(conn.send(id, piece, sent == total));
    }
  }
};

using Progress = std::function<void(Link&, std::size_t received)>;

void run_echo(Link& link, std::size_t total, const Progress& progress = {}) {
  Uploader up;
  up.total = total;
  up.data = pattern(1 << 20, 7);
  ASSERT_EQ(total % up.chunk, 0u);
  Fnv server_rx;
  Fnv client_rx;
  std::size_t received = 0;
  bool fin = false;
  link.on_server = [&](Connection& c, Event& ev) {
    if (auto* d = std::get_if<StreamData>(&ev)) {
      server_rx.add(d->data);
    }
    echo_server(c, ev);
  };
  link.on_client = [&](Connection& c, Event& ev) {
    if (auto* d = std::get_if<StreamData>(&ev)) {
      client_rx.add(d->data);
      received += d->data.size();
      fin = fin || d->fin;
      c.consume(d->id, d->data.size());
      if (progress) {
        progress(link, received);
      }
    } else if (std::holds_alternative<StreamWritable>(ev)) {
      up.pump(c);
    }
  };
  link.start();
  ASSERT_TRUE(link.run_until([&] { return handshaken(link); }));
  auto id = link.client().open_stream();
  ASSERT_TRUE(id);
  up.id = *id;
  up.pump(link.client());
  ASSERT_TRUE(link.run_until([&] { return fin; }, 600 * kSecond));
  EXPECT_EQ(received, total);
  EXPECT_EQ(server_rx.h, up.sum.h);  // client -> server intact
  EXPECT_EQ(client_rx.h, up.sum.h);  // server -> client intact
  ASSERT_TRUE(link.run_until([&] { return count_events<StreamClosed>(link.client_events) == 1; }));
  EXPECT_EQ(link.client().send_buffered(*id), 0u);
}

TEST(Streams, BidirectionalEcho64MiB) {
  Link link(client_config(), server_config());
  run_echo(link, 64 << 20);
  EXPECT_FALSE(link.client().is_closed());
  EXPECT_GT(link.gso_batches, 100u);
}

TEST(Streams, EchoSurvivesLoss) {
  LinkConfig lc;
  lc.loss = 0.03;
  lc.seed = 42;
  Link link(client_config(), server_config(), lc);
  run_echo(link, 4 << 20);
}

TEST(Migration, ClientMovesMidTransfer) {
  Link link(client_config(), server_config());
  Address new_addr = Address::loopback_v4(40001);
  bool migrated = false;
  run_echo(link, 16 << 20, [&](Link& l, std::size_t received) {
    if (!migrated && received >= (4 << 20)) {
      migrated = true;
      auto r = l.client().migrate(Path{new_addr, l.server_addr, 2}, l.now());
      EXPECT_TRUE(r) << r.error().message();
    }
  });
  ASSERT_TRUE(migrated);
  bool client_ok = false;
  for (const Event& e : link.client_events) {
    if (auto* p = std::get_if<PathValidated>(&e)) {
      client_ok = client_ok || (p->ok && p->path.local == new_addr && p->path.tag == 2);
    }
  }
  EXPECT_TRUE(client_ok);
  bool server_ok = false;
  for (const Event& e : link.server_events) {
    if (auto* p = std::get_if<PathValidated>(&e)) {
      server_ok = server_ok || (p->ok && p->path.remote == new_addr);
    }
  }
  EXPECT_TRUE(server_ok);
  EXPECT_EQ(link.server()->path().remote, new_addr);
  EXPECT_EQ(link.client().path().local, new_addr);
  EXPECT_EQ(link.client().path().tag, 2u);
}

TEST(Migration, ServerCannotMigrate) {
  Link link(client_config(), server_config());
  link.start();
  ASSERT_TRUE(link.run_until([&] { return handshaken(link); }));
  EXPECT_FALSE(link.server()->migrate(link.server()->path(), link.now()));
}

TEST(Streams, ThousandConcurrentEchoStreams) {
  constexpr int kStreams = 1000;
  Link link(client_config(), server_config());
  link.on_server = echo_server;
  std::map<StreamId, Bytes> got;
  int finished = 0;
  link.on_client = [&](Connection& c, Event& ev) {
    if (auto* d = std::get_if<StreamData>(&ev)) {
      Bytes& b = got[d->id];
      b.insert(b.end(), d->data.begin(), d->data.end());
      c.consume(d->id, d->data.size());
      finished += d->fin ? 1 : 0;
    }
  };
  link.start();
  ASSERT_TRUE(link.run_until([&] { return handshaken(link); }));
  std::map<StreamId, Bytes> sent;
  for (int i = 0; i < kStreams; ++i) {
    auto id = link.client().open_stream();
    ASSERT_TRUE(id) << i;
    sent[*id] = pattern(1024 + static_cast<std::size_t>(i), static_cast<std::uint64_t>(i));
    ASSERT_TRUE(link.client().send(*id, ByteSpan(sent[*id]), true));
  }
  ASSERT_TRUE(link.run_until([&] {
    return count_events<StreamClosed>(link.client_events) == kStreams &&
           count_events<StreamClosed>(link.server_events) == kStreams;
  }));
  EXPECT_EQ(finished, kStreams);
  EXPECT_EQ(got, sent);
  EXPECT_EQ(count_events<StreamOpened>(link.server_events), kStreams);
}

TEST(Streams, ResetClientToServer) {
  Link link(client_config(), server_config());
  link.start();
  ASSERT_TRUE(link.run_until([&] { return handshaken(link); }));
  auto id = link.client().open_stream();
  ASSERT_TRUE(id);
  ASSERT_TRUE(link.client().send(*id, ByteSpan(pattern(1000, 1)), false));
  ASSERT_TRUE(link.run_until([&] { return count_events<StreamOpened>(link.server_events) == 1; }));
  link.client().reset_stream(*id, kAppCancelled);
  EXPECT_FALSE(link.client().send(*id, ByteSpan(pattern(10, 1)), false));
  ASSERT_TRUE(link.run_until([&] { return count_events<StreamReset>(link.server_events) == 1; }));
  for (const Event& e : link.server_events) {
    if (auto* r = std::get_if<StreamReset>(&e)) {
      EXPECT_EQ(r->id, *id);
      EXPECT_EQ(r->app_error, kAppCancelled);
    }
  }
}

TEST(Streams, ResetServerToClient) {
  Link link(client_config(), server_config());
  link.start();
  ASSERT_TRUE(link.run_until([&] { return handshaken(link); }));
  auto id = link.client().open_stream();
  ASSERT_TRUE(id);
  ASSERT_TRUE(link.client().send(*id, ByteSpan(pattern(1000, 1)), true));
  ASSERT_TRUE(link.run_until([&] { return count_events<StreamOpened>(link.server_events) == 1; }));
  ASSERT_TRUE(link.server()->send(*id, ByteSpan(pattern(100, 2)), false));
  link.server()->reset_stream(*id, 7);
  ASSERT_TRUE(link.run_until([&] { return count_events<StreamReset>(link.client_events) == 1; }));
  for (const Event& e : link.client_events) {
    if (auto* r = std::get_if<StreamReset>(&e)) {
      EXPECT_EQ(r->id, *id);
      EXPECT_EQ(r->app_error, 7u);
    }
  }
  // Both directions are finished: the stream closes on both sides.
  ASSERT_TRUE(link.run_until([&] {
    return count_events<StreamClosed>(link.client_events) == 1 &&
           count_events<StreamClosed>(link.server_events) == 1;
  }));
}

// The receiver stops reading while the sender still has data queued (congestion control
// keeps it queued): the sender sees StopSending on its next write attempt.
void expect_stop_sending(bool client_stops) {
  Link link(client_config(), server_config());
  link.start();
  ASSERT_TRUE(link.run_until([&] { return handshaken(link); }));
  auto id = link.client().open_stream();
  ASSERT_TRUE(id);
  ASSERT_TRUE(link.client().send(*id, ByteSpan(pattern(1000, 1)), false));
  ASSERT_TRUE(link.run_until([&] { return count_events<StreamOpened>(link.server_events) == 1; }));
  Connection& reader = client_stops ? link.client() : *link.server();
  Connection& writer = client_stops ? *link.server() : link.client();
  std::vector<Event>& writer_events = client_stops ? link.server_events : link.client_events;
  ASSERT_TRUE(writer.send(*id, ByteSpan(pattern(8 << 20, 2)), false));
  reader.stop_sending(*id, 9);
  ASSERT_TRUE(link.run_until([&] { return count_events<StopSending>(writer_events) == 1; }));
  for (const Event& e : writer_events) {
    if (auto* s = std::get_if<StopSending>(&e)) {
      EXPECT_EQ(s->id, *id);
    }
  }
  // The reader learns about the reset that answers its STOP_SENDING.
  std::vector<Event>& reader_events = client_stops ? link.client_events : link.server_events;
  ASSERT_TRUE(link.run_until([&] { return count_events<StreamReset>(reader_events) == 1; }));
  EXPECT_FALSE(writer.send(*id, ByteSpan(pattern(10, 3)), false));
  EXPECT_FALSE(link.client().is_closed());
}

TEST(Streams, StopSendingClientToServer) {
  expect_stop_sending(true);
}
TEST(Streams, StopSendingServerToClient) {
  expect_stop_sending(false);
}

TEST(Streams, FlowControlStallsSenderUntilConsumed) {
  constexpr std::size_t kWindow = 256 << 10;
  constexpr std::size_t kTotal = 4 << 20;
  ServerConfig sc = server_config();
  sc.transport.stream_window = kWindow;
  sc.transport.max_stream_window = kWindow;
  ClientConfig cc = client_config();
  cc.transport.send_low_water = 512 << 10;
  Link link(cc, sc);
  std::size_t received = 0;
  std::size_t unconsumed = 0;
  bool consume = false;
  link.on_server = [&](Connection& c, Event& ev) {
    if (auto* d = std::get_if<StreamData>(&ev)) {
      received += d->data.size();
      if (consume) {
        c.consume(d->id, d->data.size());
      } else {
        unconsumed += d->data.size();
      }
    }
  };
  link.start();
  ASSERT_TRUE(link.run_until([&] { return handshaken(link); }));
  auto id = link.client().open_stream();
  ASSERT_TRUE(id);
  ASSERT_TRUE(link.client().send(*id, ByteSpan(pattern(kTotal, 3)), true));
  // Quiet: nothing moves once the window is used up (the link goes idle).
  link.run_until([] { return false; }, 5 * kSecond);
  EXPECT_EQ(received, kWindow);
  EXPECT_EQ(link.client().send_buffered(*id), kTotal - kWindow);  // the window was acked
  EXPECT_EQ(count_events<StreamWritable>(link.client_events), 0);
  consume = true;
  link.server()->consume(*id, unconsumed);
  ASSERT_TRUE(link.run_until([&] { return received == kTotal; }));
  ASSERT_TRUE(
      link.run_until([&] { return count_events<StreamWritable>(link.client_events) >= 1; }));
  EXPECT_FALSE(link.client().is_closed());
}

TEST(Streams, StreamsAvailableAfterPeerStreamCloses) {
  ServerConfig sc = server_config();
  sc.transport.max_streams_bidi = 2;
  Link link(client_config(), sc);
  link.on_server = echo_server;
  link.start();
  ASSERT_TRUE(link.run_until([&] { return handshaken(link); }));
  auto a = link.client().open_stream();
  auto b = link.client().open_stream();
  ASSERT_TRUE(a && b);
  auto c = link.client().open_stream();
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, Errc::kResourceExhausted);
  ASSERT_TRUE(link.client().send(*a, ByteSpan(pattern(10, 1)), true));
  ASSERT_TRUE(
      link.run_until([&] { return count_events<StreamsAvailable>(link.client_events) == 1; }));
  EXPECT_TRUE(link.client().open_stream());
}

}  // namespace
}  // namespace connswap::quic::test
