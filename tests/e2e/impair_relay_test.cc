// connswap-impair as a program, with plain UDP sockets of this test as clients and target:
// per-client mappings, delay, blackholes (signal and fixed), ready-file targets resolved
// late, stats and usage errors. Budgets bound every wait (SO_RCVTIMEO); no sleeps.

#include <chrono>
#include <fstream>
#include <optional>
#include <string>

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "base/address.h"
#include "e2e/cluster.h"

namespace connswap::e2e {
namespace {

// A bound UDP socket on 127.0.0.1 with a receive budget.
class Udp {
 public:
  Udp() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    Address a = Address::loopback_v4(0);
    EXPECT_EQ(::bind(fd_, a.sa(), a.len), 0);
    local_.len = sizeof(sockaddr_storage);
    ::getsockname(fd_, local_.sa(), &local_.len);
  }
  ~Udp() { ::close(fd_); }
  Udp(const Udp&) = delete;
  Udp& operator=(const Udp&) = delete;

  std::string address() const { return local_.to_string(); }
  void send(const std::string& to, const std::string& text) {
    auto a = Address::parse(to);
    ASSERT_TRUE(a);
    ASSERT_EQ(::sendto(fd_, text.data(), text.size(), 0, a->sa(), a->len),
              static_cast<ssize_t>(text.size()));
  }
  // The next datagram and its sender, or nullopt after `budget`.
  std::optional<std::pair<std::string, std::string>> recv(std::chrono::milliseconds budget) {
    const timeval tv{.tv_sec = budget.count() / 1000,
                     .tv_usec = static_cast<suseconds_t>(budget.count() % 1000 * 1000)};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[2048];
    Address from;
    from.len = sizeof(sockaddr_storage);
    const ssize_t n = ::recvfrom(fd_, buf, sizeof buf, 0, from.sa(), &from.len);
    if (n < 0) {
      return std::nullopt;
    }
    return std::pair{from.to_string(), std::string(buf, static_cast<std::size_t>(n))};
  }

 private:
  int fd_ = -1;
  Address local_;
};

// Answers every datagram with "echo:" + its text, up to `count` datagrams.
void echo(Udp& target, int count) {
  for (int i = 0; i < count; ++i) {
    auto got = target.recv(std::chrono::milliseconds(kStartBudget));
    ASSERT_TRUE(got);
    target.send(got->first, "echo:" + got->second);
  }
}

struct Relay {
  std::unique_ptr<testing::Process> process;
  testing::ReadyFile ready;
};

Relay start_relay(Cluster& c, std::vector<std::string> args) {
  static int n = 0;
  const auto ready = c.dir() / ("relay-" + std::to_string(++n) + ".ready");
  args.insert(args.begin(), CONNSWAP_IMPAIR);
  args.push_back("--ready-file");
  args.push_back(ready.string());
  Relay r;
  r.process = std::make_unique<testing::Process>(testing::ProcessOptions{
      .args = std::move(args), .env = {}, .log_dir = c.dir(), .name = "relay"});
  auto fields = testing::wait_ready_file(ready, kStartBudget, r.process.get());
  EXPECT_TRUE(fields) << r.process->stderr_text();
  if (fields) {
    r.ready = *fields;
  }
  return r;
}

TEST(ImpairRelay, EachClientGetsItsOwnMappingAndItsOwnAnswers) {
  Cluster c;
  Udp target, a, b;
  Relay r = start_relay(c, {"--link", "x,127.0.0.1:0," + target.address()});
  const std::string relay = r.ready["x"];
  a.send(relay, "from-a");
  auto seen_a = target.recv(kStartBudget);
  b.send(relay, "from-b");
  auto seen_b = target.recv(kStartBudget);
  ASSERT_TRUE(seen_a && seen_b);
  EXPECT_EQ(seen_a->second, "from-a");
  EXPECT_EQ(seen_b->second, "from-b");
  EXPECT_NE(seen_a->first, seen_b->first);  // one upstream socket per client
  target.send(seen_b->first, "to-b");
  target.send(seen_a->first, "to-a");
  auto got_a = a.recv(kStartBudget);
  auto got_b = b.recv(kStartBudget);
  ASSERT_TRUE(got_a && got_b);
  EXPECT_EQ(got_a->second, "to-a");
  EXPECT_EQ(got_b->second, "to-b");
  EXPECT_EQ(got_a->first, relay);  // answers come from the relay's port
  a.send(relay, "again");
  auto again = target.recv(kStartBudget);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->first, seen_a->first);  // the mapping is kept
}

TEST(ImpairRelay, DelayAppliesEachWay) {
  Cluster c;
  Udp target, client;
  Relay r = start_relay(c, {"--link", "x,127.0.0.1:0," + target.address(), "--delay-ms", "100"});
  const auto start = std::chrono::steady_clock::now();
  client.send(r.ready["x"], "ping");
  echo(target, 1);
  auto got = client.recv(kStartBudget);
  const auto rtt = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(got);
  EXPECT_EQ(got->second, "echo:ping");
  EXPECT_GE(rtt, std::chrono::milliseconds(200));
}

TEST(ImpairRelay, SignalledBlackholeDropsEverythingThenEnds) {
  Cluster c;
  Udp target, client;
  Relay r = start_relay(
      c, {"--link", "x,127.0.0.1:0," + target.address(), "--signal-blackhole-ms", "1000"});
  const std::string relay = r.ready["x"];
  client.send(relay, "before");
  ASSERT_TRUE(target.recv(kStartBudget));
  ASSERT_TRUE(r.process->signal(SIGUSR1));
  ASSERT_TRUE(r.process->wait_for_log({"blackhole on"}, kStartBudget));
  client.send(relay, "during");
  EXPECT_FALSE(target.recv(std::chrono::milliseconds(300)));
  ASSERT_TRUE(r.process->wait_for_log({"blackhole off"}, kStartBudget));
  client.send(relay, "after");
  auto got = target.recv(kStartBudget);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->second, "after");
  r.process->signal(SIGTERM);
  ASSERT_TRUE(r.process->wait_exit(kStartBudget));
  const std::string stats = r.process->stdout_text();
  EXPECT_NE(stats.find("link=x dir=to_target received=3 delivered=2 lost=0 blackholed=1"),
            std::string::npos)
      << stats;
}

TEST(ImpairRelay, FixedBlackholeWindowCountsFromStart) {
  Cluster c;
  Udp target, client;
  // Down for the first 60 s: nothing passes, and the stats say why.
  Relay r =
      start_relay(c, {"--link", "x,127.0.0.1:0," + target.address(), "--blackhole", "0+60000"});
  client.send(r.ready["x"], "lost");
  EXPECT_FALSE(target.recv(std::chrono::milliseconds(300)));
  r.process->signal(SIGTERM);
  ASSERT_TRUE(r.process->wait_exit(kStartBudget));
  EXPECT_NE(r.process->stdout_text().find("received=1 delivered=0 lost=0 blackholed=1"),
            std::string::npos)
      << r.process->stdout_text();
}

TEST(ImpairRelay, ReadyFileTargetIsReadWhenNeeded) {
  Cluster c;
  Udp target, client;
  const auto later = c.dir() / "later.ready";
  Relay r = start_relay(
      c, {"--link", "x,127.0.0.1:0,@" + later.string() + "#user", "--log-level", "debug"});
  client.send(r.ready["x"], "too-early");  // no target yet: dropped and counted
  ASSERT_TRUE(r.process->wait_for_log({"target not known yet"}, kStartBudget));
  {
    std::ofstream out(later);
    out << "user=" << target.address() << "\npid=1\n";
  }
  // Datagrams are retried until the relay has read the file (each one tries).
  std::optional<std::pair<std::string, std::string>> got;
  for (int i = 0; i < 50 && !got; ++i) {
    client.send(r.ready["x"], "hello");
    got = target.recv(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(got);
  EXPECT_EQ(got->second, "hello");
  r.process->signal(SIGTERM);
  ASSERT_TRUE(r.process->wait_exit(kStartBudget));
  EXPECT_NE(r.process->stdout_text().find("unresolved_drops=1"), std::string::npos)
      << r.process->stdout_text();
}

TEST(ImpairRelay, BadUsageExitsTwoWithOneLine) {
  Cluster c;
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--link", "nonsense"},
           {"--link", "x,127.0.0.1:0,127.0.0.1:9", "--loss", "2"},
           {"--link", "x,127.0.0.1:0,127.0.0.1:9", "--delay-ms", "5", "--jitter-ms", "10"},
           {"--link", "x,127.0.0.1:0,127.0.0.1:9", "--blackhole", "5"},
           {"--link", "x,127.0.0.1:0,@nofile"},
       }) {
    std::vector<std::string> argv = {CONNSWAP_IMPAIR};
    argv.insert(argv.end(), args.begin(), args.end());
    testing::Process p(
        testing::ProcessOptions{.args = argv, .env = {}, .log_dir = c.dir(), .name = "relay-bad"});
    auto status = p.wait_exit(kStartBudget);
    ASSERT_TRUE(status);
    EXPECT_EQ(status->code, 2) << args[1] << "\n" << p.stderr_text();
    EXPECT_NE(p.stderr_text().find("connswap-impair: error: "), std::string::npos);
  }
}

}  // namespace
}  // namespace connswap::e2e
