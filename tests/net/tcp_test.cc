// TcpListener and TcpConn over real loopback sockets. The peers are asio sockets on the
// same Loop, so every wait is run_until() on an event with a budget; the few "nothing
// happens" checks run the loop for a short bounded time and then look.

#include "net/tcp.h"

#include <algorithm>
#include <array>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <asio.hpp>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include "net/loop.h"

namespace connswap::net {
namespace {

constexpr Duration kBudget = 10 * kSecond;
constexpr Duration kQuiet = 200 * kMillisecond;  // how long "nothing happens" is watched

// What one server-side connection saw; outlives its handler (which the listener frees).
struct Record {
  TcpConn* conn = nullptr;  // valid until on_closed
  std::string data;
  int drained = 0;
  int deadlines = 0;
  int closed = 0;
  bool in_call = false;  // a TcpConn call of the test is on the stack
};

// Records every event; `on_data` (optional) reacts to received bytes.
class RecordingHandler final : public TcpHandler {
 public:
  RecordingHandler(TcpConn& conn,
                   std::shared_ptr<Record> record,
                   std::function<void(TcpConn&, Record&)> on_data)
      : conn_(conn), record_(std::move(record)), on_data_(std::move(on_data)) {
    record_->conn = &conn_;
  }
  void on_data(std::string_view bytes) override {
    EXPECT_FALSE(record_->in_call);
    record_->data.append(bytes);
    if (on_data_) {
      on_data_(conn_, *record_);
    }
  }
  void on_drained() override { ++record_->drained; }
  void on_deadline() override {
    EXPECT_FALSE(record_->in_call);
    ++record_->deadlines;
  }
  void on_closed() override {
    EXPECT_FALSE(record_->in_call) << "on_closed inside a TcpConn call";
    EXPECT_EQ(record_->closed, 0) << "on_closed twice";
    ++record_->closed;
    record_->conn = nullptr;
  }

 private:
  TcpConn& conn_;
  std::shared_ptr<Record> record_;
  std::function<void(TcpConn&, Record&)> on_data_;
};

// A listener on 127.0.0.1:0 whose connections are recorded in `records`, in accept order.
struct Server {
  explicit Server(Loop& loop,
                  TcpLimits limits = {},
                  std::function<void(TcpConn&, Record&)> on_data = {}) {
    auto opened =
        TcpListener::open(loop, Address::loopback_v4(0), limits, [this, on_data](TcpConn& conn) {
          records.push_back(std::make_shared<Record>());
          return std::make_unique<RecordingHandler>(conn, records.back(), on_data);
        });
    EXPECT_TRUE(opened) << (opened ? "" : opened.error().message());
    if (opened) {
      listener = std::move(*opened);
    }
  }
  std::unique_ptr<TcpListener> listener;
  std::vector<std::shared_ptr<Record>> records;
};

// The client side: an asio socket on the test's loop that reads (unless paused) into
// `received` and records how the connection ended.
class Peer {
 public:
  Peer(Loop& loop, const Address& server) : socket_(loop.context()) {
    asio::ip::tcp::endpoint ep(asio::ip::make_address_v4("127.0.0.1"), server.port());
    asio::error_code ec;
    socket_.connect(ep, ec);  // the kernel completes it from the listen backlog
    EXPECT_FALSE(ec) << ec.message();
  }
  ~Peer() { *alive_ = false; }

  // Blocking: only for what fits in the socket buffers.
  void send(std::string_view bytes) {
    asio::error_code ec;
    asio::write(socket_, asio::buffer(bytes.data(), bytes.size()), ec);
    EXPECT_FALSE(ec) << ec.message();
  }
  // Sends `bytes` from the loop; `sent` turns true once the kernel took them all.
  void send_async(std::string bytes) {
    out_ = std::move(bytes);
    asio::async_write(socket_,
                      asio::buffer(out_),
                      [this, alive = alive_](const asio::error_code& ec, std::size_t) {
                        if (*alive) {
                          sent = !ec;
                        }
                      });
  }
  void start_reading() {
    socket_.async_read_some(asio::buffer(buf_),
                            [this, alive = alive_](const asio::error_code& ec, std::size_t n) {
                              if (!*alive) {
                                return;
                              }
                              if (ec) {
                                ended = true;
                                reset = ec != asio::error::eof;
                                return;
                              }
                              received.append(buf_.data(), n);
                              start_reading();
                            });
  }
  // Closes with an RST (SO_LINGER 0) instead of a FIN.
  void reset_close() {
    asio::error_code ec;
    socket_.set_option(asio::socket_base::linger(true, 0), ec);
    socket_.close(ec);
  }
  void close() {
    asio::error_code ec;
    socket_.close(ec);
  }
  asio::ip::tcp::socket& socket() { return socket_; }

  std::string received;
  bool ended = false;  // EOF or an error
  bool reset = false;  // ...an error, not a clean EOF
  bool sent = false;

 private:
  asio::ip::tcp::socket socket_;
  std::array<char, 64 * 1024> buf_{};
  std::string out_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

std::string numbered(int count) {
  std::string out;
  for (int i = 0; i < count; ++i) {
    out += std::to_string(i) + ",";
  }
  return out;
}

TEST(TcpListener, AcceptsAndEchoesWritesInOrder) {
  Loop loop;
  // Echo, then 1000 small writes queued in the same call (most behind a write in flight).
  Server server(loop, {}, [](TcpConn& conn, Record& r) {
    conn.write(r.data);
    for (int i = 0; i < 1000; ++i) {
      conn.write(std::to_string(i) + ",");
    }
  });
  ASSERT_TRUE(server.listener);
  Peer peer(loop, server.listener->local());
  peer.start_reading();
  peer.send("hello|");
  const std::string want = "hello|" + numbered(1000);
  ASSERT_TRUE(loop.run_until([&] { return peer.received.size() >= want.size(); }, kBudget));
  EXPECT_EQ(peer.received, want);
  EXPECT_EQ(server.listener->accepted(), 1U);
  EXPECT_EQ(server.listener->connections(), 1U);
  ASSERT_EQ(server.records.size(), 1U);
  EXPECT_EQ(server.records[0]->data, "hello|");
  EXPECT_TRUE(loop.run_until([&] { return server.records[0]->drained > 0; }, kBudget));
  EXPECT_EQ(server.records[0]->conn->queued(), 0U);
  EXPECT_FALSE(server.records[0]->conn->peer().empty());
}

TEST(TcpConn, PausedReadingLeavesThePeersBytesUnread) {
  Loop loop;
  Server server(loop, {}, [](TcpConn& conn, Record& r) {
    if (r.data == "first") {
      conn.set_reading(false);  // once: after the resume everything is read
    }
  });
  ASSERT_TRUE(server.listener);
  Peer peer(loop, server.listener->local());
  peer.send("first");
  ASSERT_TRUE(loop.run_until(
      [&] { return !server.records.empty() && !server.records[0]->data.empty(); }, kBudget));
  Record& r = *server.records[0];
  const std::size_t after_first = r.data.size();
  // 32 MiB is more than both kernels' buffers hold: with reading paused the send stalls.
  const std::string big(32 << 20, 'x');
  peer.send_async(big);
  EXPECT_FALSE(loop.run_until([&] { return peer.sent; }, kQuiet));
  EXPECT_EQ(r.data.size(), after_first) << "bytes were read while paused";
  r.conn->set_reading(true);
  ASSERT_TRUE(loop.run_until([&] { return r.data.size() == after_first + big.size(); }, kBudget));
  EXPECT_TRUE(peer.sent || loop.run_until([&] { return peer.sent; }, kBudget));
}

TEST(TcpConn, CloseSendsEveryQueuedByteThenEnds) {
  Loop loop;
  const std::string big(4 << 20, 'y');
  Server server(loop, {}, [&](TcpConn& conn, Record& r) {
    conn.write(big);
    conn.write("end");
    r.in_call = true;
    conn.close();
    r.in_call = false;
    conn.write("ignored");  // after close(): dropped
    EXPECT_TRUE(conn.closing());
  });
  ASSERT_TRUE(server.listener);
  Peer peer(loop, server.listener->local());
  peer.start_reading();
  peer.send("go");
  ASSERT_TRUE(loop.run_until([&] { return peer.ended; }, kBudget));
  EXPECT_FALSE(peer.reset);
  EXPECT_EQ(peer.received.size(), big.size() + 3);
  EXPECT_EQ(peer.received.substr(big.size()), "end");
  peer.close();
  ASSERT_TRUE(loop.run_until([&] { return server.records[0]->closed == 1; }, kBudget));
  EXPECT_TRUE(loop.run_until([&] { return server.listener->connections() == 0; }, kBudget));
}

// The peer sent more than the server read (a refused request, say). Closing the socket
// then would send an RST, which can destroy the answer still in flight (RFC 9112 §9.6). So
// the server half-closes, drops what still arrives and waits for the peer's FIN.
TEST(TcpConn, CloseWithUnreadPeerBytesLingersUntilThePeerCloses) {
  Loop loop;
  const std::string answer(2 << 20, 'z');
  Server server(loop, {}, [&](TcpConn& conn, Record&) {
    conn.set_reading(false);
    conn.write(answer);
    conn.close();
  });
  ASSERT_TRUE(server.listener);
  Peer peer(loop, server.listener->local());
  peer.send("request");
  ASSERT_TRUE(loop.run_until(
      [&] { return !server.records.empty() && !server.records[0]->data.empty(); }, kBudget));
  peer.send(std::string(64 << 10, 'u'));  // never read by the server
  peer.start_reading();
  ASSERT_TRUE(loop.run_until([&] { return peer.ended; }, kBudget));
  EXPECT_FALSE(peer.reset) << "the server reset the connection";
  EXPECT_EQ(peer.received.size(), answer.size());
  // The server waits for our FIN (up to TcpLimits::linger) instead of resetting.
  EXPECT_FALSE(loop.run_until([&] { return server.records[0]->closed == 1; }, kQuiet));
  peer.send("late bytes are dropped");
  int error = -1;
  socklen_t len = sizeof error;
  ::getsockopt(peer.socket().native_handle(), SOL_SOCKET, SO_ERROR, &error, &len);
  EXPECT_EQ(error, 0) << "the peer saw a reset";
  peer.close();
  EXPECT_TRUE(loop.run_until([&] { return server.records[0]->closed == 1; }, kBudget));
  EXPECT_TRUE(server.records[0]->data == "request");
}

// A peer that never closes its side does not keep a closed connection forever.
TEST(TcpConn, LingerIsBounded) {
  Loop loop;
  Server server(loop, TcpLimits{.linger = 50 * kMillisecond}, [](TcpConn& conn, Record&) {
    conn.write("bye");
    conn.close();
  });
  ASSERT_TRUE(server.listener);
  Peer peer(loop, server.listener->local());
  peer.start_reading();
  peer.send("hi");
  ASSERT_TRUE(loop.run_until([&] { return peer.ended; }, kBudget));
  EXPECT_EQ(peer.received, "bye");
  const Timestamp eof_at = loop.refresh_now();
  ASSERT_TRUE(loop.run_until([&] { return server.records[0]->closed == 1; }, kBudget));
  EXPECT_GE(loop.refresh_now(), eof_at + 40 * kMillisecond);
}

TEST(TcpConn, AbortDropsWhatIsQueuedAndEnds) {
  Loop loop;
  Server server(loop, {}, [](TcpConn& conn, Record& r) {
    conn.write(std::string(64 << 20, 'a'));  // more than the kernel takes from a non-reader
    r.in_call = true;
    conn.abort();
    r.in_call = false;
    EXPECT_TRUE(conn.closing());
  });
  ASSERT_TRUE(server.listener);
  Peer peer(loop, server.listener->local());
  peer.send("go");
  ASSERT_TRUE(loop.run_until(
      [&] { return !server.records.empty() && server.records[0]->closed == 1; }, kBudget));
  peer.start_reading();
  ASSERT_TRUE(loop.run_until([&] { return peer.ended; }, kBudget));
  EXPECT_LT(peer.received.size(), std::size_t{64} << 20);
  EXPECT_TRUE(loop.run_until([&] { return server.listener->connections() == 0; }, kBudget));
}

TEST(TcpConn, DeadlineFiresOnceAndCanBeReplacedOrCleared) {
  Loop loop;
  Server server(loop);
  ASSERT_TRUE(server.listener);
  Peer a(loop, server.listener->local());
  Peer b(loop, server.listener->local());
  Peer c(loop, server.listener->local());
  ASSERT_TRUE(loop.run_until([&] { return server.records.size() == 3; }, kBudget));
  Record& ra = *server.records[0];
  Record& rb = *server.records[1];
  Record& rc = *server.records[2];
  const Timestamp start = loop.refresh_now();
  ra.conn->set_deadline(start + 20 * kMillisecond);
  rb.conn->set_deadline(start + 10 * kMillisecond);  // replaced by a later one
  rb.conn->set_deadline(start + 60 * kMillisecond);
  rc.conn->set_deadline(start + 10 * kMillisecond);  // cleared
  rc.conn->set_deadline(0);
  ASSERT_TRUE(loop.run_until([&] { return ra.deadlines == 1 && rb.deadlines == 1; }, kBudget));
  EXPECT_GE(loop.now(), start + 60 * kMillisecond);
  EXPECT_FALSE(loop.run_until(
      [&] { return ra.deadlines > 1 || rb.deadlines > 1 || rc.deadlines > 0; }, kQuiet));
  EXPECT_EQ(ra.deadlines, 1);
  EXPECT_EQ(rb.deadlines, 1);
  EXPECT_EQ(rc.deadlines, 0);
}

// A deadline that is already due but whose timer has not run yet is replaced: the old one
// must not fire (the handler would act on a deadline it no longer has).
TEST(TcpConn, ADueDeadlineReplacedBeforeItRanDoesNotFire) {
  Loop loop;
  Server server(loop);
  ASSERT_TRUE(server.listener);
  Peer a(loop, server.listener->local());
  ASSERT_TRUE(loop.run_until([&] { return server.records.size() == 1; }, kBudget));
  Record& r = *server.records[0];
  // Whether the timer or the posted task runs first varies: count only fires that came
  // after the deadline was cleared.
  int stale = 0;
  for (int i = 0; i < 20; ++i) {
    bool cleared = false;
    int fired_before = 0;
    r.conn->set_deadline(loop.refresh_now() - 1);  // due at once
    loop.post([&] {
      fired_before = r.deadlines;
      r.conn->set_deadline(0);
      cleared = true;
    });
    ASSERT_TRUE(loop.run_until([&] { return cleared; }, kBudget));
    loop.run_until([] { return false; }, 2 * kMillisecond);  // let a stale timer run
    stale += r.deadlines - fired_before;
  }
  EXPECT_EQ(stale, 0);
}

TEST(TcpListener, ConnectionsOverTheLimitAreClosedAtOnceAndCounted) {
  Loop loop;
  Server server(loop, TcpLimits{.max_connections = 2});
  ASSERT_TRUE(server.listener);
  Peer a(loop, server.listener->local());
  Peer b(loop, server.listener->local());
  ASSERT_TRUE(loop.run_until([&] { return server.listener->connections() == 2; }, kBudget));
  Peer extra(loop, server.listener->local());
  extra.start_reading();
  ASSERT_TRUE(loop.run_until([&] { return extra.ended; }, kBudget));
  EXPECT_EQ(server.listener->refused(), 1U);
  EXPECT_EQ(server.listener->accepted(), 2U);
  EXPECT_EQ(server.records.size(), 2U);  // no handler for the refused one
  // One leaves: there is room again.
  a.close();
  ASSERT_TRUE(loop.run_until([&] { return server.listener->connections() == 1; }, kBudget));
  Peer d(loop, server.listener->local());
  d.start_reading();
  ASSERT_TRUE(loop.run_until([&] { return server.listener->accepted() == 3; }, kBudget));
  EXPECT_FALSE(loop.run_until([&] { return d.ended; }, kQuiet));
  EXPECT_EQ(server.listener->refused(), 1U);
}

TEST(TcpListener, CloseEndsEveryConnection) {
  Loop loop;
  Server server(loop);
  ASSERT_TRUE(server.listener);
  std::vector<std::unique_ptr<Peer>> peers;
  for (int i = 0; i < 3; ++i) {
    peers.push_back(std::make_unique<Peer>(loop, server.listener->local()));
    peers.back()->start_reading();
  }
  ASSERT_TRUE(loop.run_until([&] { return server.listener->connections() == 3; }, kBudget));
  const Address local = server.listener->local();
  server.listener->close();
  for (const auto& r : server.records) {
    EXPECT_EQ(r->closed, 1);  // at once: close() is called by the owner, not a handler
  }
  EXPECT_EQ(server.listener->connections(), 0U);
  ASSERT_TRUE(loop.run_until(
      [&] {
        return std::all_of(peers.begin(), peers.end(), [](const auto& p) { return p->ended; });
      },
      kBudget));
  // Nobody listens any more.
  asio::ip::tcp::socket late(loop.context());
  asio::error_code ec;
  late.connect(asio::ip::tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), local.port()), ec);
  EXPECT_EQ(ec, asio::error::connection_refused);
  loop.run_until([] { return false; }, 10 * kMillisecond);  // the deferred frees run
}

TEST(TcpConn, PeerCloseOrResetGivesOnClosed) {
  Loop loop;
  Server server(loop);
  ASSERT_TRUE(server.listener);
  Peer graceful(loop, server.listener->local());
  Peer rude(loop, server.listener->local());
  ASSERT_TRUE(loop.run_until([&] { return server.records.size() == 2; }, kBudget));
  graceful.send("bye");
  graceful.close();
  rude.send("x");
  rude.reset_close();
  ASSERT_TRUE(loop.run_until(
      [&] { return server.records[0]->closed == 1 && server.records[1]->closed == 1; }, kBudget));
  EXPECT_EQ(server.records[0]->data, "bye");
  EXPECT_TRUE(loop.run_until([&] { return server.listener->connections() == 0; }, kBudget));
}

}  // namespace
}  // namespace connswap::net
