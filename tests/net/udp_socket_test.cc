// UdpSocket, Loop and TimerQueue over real loopback sockets.

#include "net/udp_socket.h"

#include <numeric>
#include <vector>

#include <gtest/gtest.h>

#include "net/loop.h"
#include "net/timer_queue.h"

namespace connswap::net {
namespace {

constexpr Duration kBudget = 5 * kSecond;

std::unique_ptr<UdpSocket> open_socket(Loop& loop, SocketOptions options) {
  auto s = UdpSocket::open(loop, Address::loopback_v4(0), options);
  EXPECT_TRUE(s) << (s ? "" : s.error().message());
  return s ? std::move(*s) : nullptr;
}

// Receives until `want_bytes` arrived; returns every datagram (GRO trains split).
std::vector<Bytes> receive_all(Loop& loop, UdpSocket& socket, std::size_t want_bytes) {
  std::vector<Bytes> out;
  std::size_t got = 0;
  Bytes buf(64 << 10);
  std::function<void()> on_readable = [&] {
    while (true) {
      auto r = socket.recv(buf);
      if (!r || !r->has_value()) {
        break;
      }
      const Received& rx = **r;
      for (std::size_t off = 0; off < rx.bytes; off += rx.segment_size) {
        std::size_t len = std::min(rx.segment_size, rx.bytes - off);
        out.emplace_back(buf.begin() + static_cast<std::ptrdiff_t>(off),
                         buf.begin() + static_cast<std::ptrdiff_t>(off + len));
        got += len;
      }
    }
    socket.wait_readable(on_readable);
  };
  socket.wait_readable(on_readable);
  EXPECT_TRUE(loop.run_until([&] { return got >= want_bytes; }, kBudget));
  return out;
}

struct GsoCase {
  const char* name;
  bool gso;
  bool gro;
};

void PrintTo(const GsoCase& c, std::ostream* os) {
  *os << c.name;
}  // readable ctest names

class UdpSocketGso : public ::testing::TestWithParam<GsoCase> {};

TEST_P(UdpSocketGso, SegmentsArriveAsSeparateDatagrams) {
  Loop loop;
  auto tx = open_socket(loop, {.gso = GetParam().gso, .gro = false});
  auto rx = open_socket(loop, {.gso = false, .gro = GetParam().gro});
  ASSERT_TRUE(tx && rx);
  EXPECT_EQ(tx->gso_enabled(), GetParam().gso);  // this kernel supports UDP_SEGMENT
  constexpr std::size_t kSegment = 1200;
  constexpr std::size_t kCount = 20;
  Bytes train(kSegment * (kCount - 1) + 500);  // last segment shorter
  std::iota(train.begin(), train.end(), std::uint8_t{0});
  ASSERT_TRUE(tx->send(rx->local(), train, kSegment));
  auto got = receive_all(loop, *rx, train.size());
  ASSERT_EQ(got.size(), kCount);
  Bytes joined;
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].size(), i + 1 == kCount ? 500u : kSegment) << "datagram " << i;
    joined.insert(joined.end(), got[i].begin(), got[i].end());
  }
  EXPECT_EQ(joined, train);
  EXPECT_EQ(tx->stats().datagrams_sent, kCount);
  if (GetParam().gso && GetParam().gro) {
    EXPECT_LT(rx->stats().recvmsg_calls, kCount);  // loopback keeps the GSO train together
  }
  if (GetParam().gso) {
    EXPECT_EQ(tx->stats().sendmsg_calls, 1u);
  } else {
    EXPECT_EQ(tx->stats().sendmsg_calls, kCount);
  }
}

INSTANTIATE_TEST_SUITE_P(Modes,
                         UdpSocketGso,
                         ::testing::Values(GsoCase{"GsoGro", true, true},
                                           GsoCase{"GsoNoGro", true, false},
                                           GsoCase{"NoGsoGro", false, true},
                                           GsoCase{"Plain", false, false}),
                         [](const auto& p) { return std::string(p.param.name); });

TEST(UdpSocket, LargeTrainIsSplitIntoKernelSizedSends) {
  Loop loop;
  auto tx = open_socket(loop, {});
  auto rx = open_socket(loop, {});
  ASSERT_TRUE(tx && rx);
  Bytes train(1452 * 100, 0x5a);  // more than one GSO send can carry
  ASSERT_TRUE(tx->send(rx->local(), train, 1452));
  auto got = receive_all(loop, *rx, train.size());
  EXPECT_EQ(got.size(), 100u);
  EXPECT_GE(tx->stats().sendmsg_calls, 2u);
}

TEST(UdpSocket, HasUnreadWhileADatagramWaitsInTheKernel) {
  Loop loop;
  auto tx = open_socket(loop, {});
  auto rx = open_socket(loop, {.gso = false, .gro = false});
  ASSERT_TRUE(tx && rx);
  EXPECT_FALSE(rx->has_unread());
  ASSERT_TRUE(tx->send(rx->local(), Bytes(100, 1), 100));
  // Loopback delivers within the send call; nothing has read it yet.
  EXPECT_TRUE(rx->has_unread());
  Bytes buf(64 << 10);
  auto got = rx->recv(buf);
  ASSERT_TRUE(got && *got);
  EXPECT_FALSE(rx->has_unread());
}

TEST(UdpSocket, ConnectedSocketReportsRefusedAsPeerGone) {
  Loop loop;
  auto peer = open_socket(loop, {});
  auto client = open_socket(loop, {});
  ASSERT_TRUE(peer && client);
  ASSERT_TRUE(client->connect(peer->local()));
  EXPECT_EQ(client->remote(), peer->local());
  peer->close();  // nobody listens on that port any more: ICMP port unreachable
  Bytes ping(100, 1);
  ASSERT_TRUE(client->send({}, ping, ping.size()));
  bool gone = false;
  client->wait_readable([&] {
    auto r = client->recv(ping);
    gone = !r && r.error().code == Errc::kPeerGone;
  });
  EXPECT_TRUE(loop.run_until([&] { return gone; }, kBudget));
}

TEST(UdpSocket, BindConflictIsAnIoError) {
  Loop loop;
  auto first = open_socket(loop, {});
  ASSERT_TRUE(first);
  auto second = UdpSocket::open(loop, first->local(), {});
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, Errc::kIo);
  EXPECT_NE(second.error().detail.find("in use"), std::string::npos) << second.error().detail;
}

TEST(TimerQueue, FiresInDeadlineOrderAndRearmsOnlyWhenEarlier) {
  Loop loop;
  std::vector<std::uint64_t> fired;
  TimerQueue timers(loop, [&](std::uint64_t key, Timestamp) { fired.push_back(key); });
  const Timestamp now = loop.refresh_now();
  timers.schedule(1, now + 30 * kMillisecond);
  timers.schedule(2, now + 10 * kMillisecond);  // earlier: re-arm
  timers.schedule(3, now + 20 * kMillisecond);  // later: no re-arm
  timers.schedule(3, now + 25 * kMillisecond);  // moved later: no re-arm
  timers.schedule(4, now + 5 * kMillisecond);
  timers.cancel(4);
  EXPECT_EQ(timers.rearm_count(), 3u);
  EXPECT_TRUE(loop.run_until([&] { return fired.size() == 3; }, kBudget));
  EXPECT_EQ(fired, (std::vector<std::uint64_t>{2, 3, 1}));
  EXPECT_EQ(timers.size(), 0u);
}

TEST(Loop, PostRunsLaterAndStopEndsRun) {
  Loop loop;
  int step = 0;
  loop.post([&] {
    step = 1;
    loop.post([&] {
      step = 2;
      loop.stop();
    });
  });
  EXPECT_EQ(step, 0);
  loop.run();
  EXPECT_EQ(step, 2);
}

TEST(Loop, StopSignalCallsCallback) {
  Loop loop;
  int got = 0;
  loop.on_stop_signal([&](int signo) { got = signo; });
  loop.post([] { ::raise(SIGTERM); });
  EXPECT_TRUE(loop.run_until([&] { return got != 0; }, kBudget));
  EXPECT_EQ(got, SIGTERM);
}

}  // namespace
}  // namespace connswap::net
