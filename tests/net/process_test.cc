// Multi-process transport tests: the real `connswap-quicperf server` in a child process,
// killed, stopped or restarted under an in-process client. Children are signalled by PID.

#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/client.h"
#include "net/loop.h"
#include "protocol.h"
#include "test_peer.h"

extern char** environ;

namespace connswap::net {
namespace {

using namespace std::chrono_literals;

constexpr Duration kBudget = 20 * kSecond;

class Child {
 public:
  explicit Child(const std::vector<std::string>& args) {
    std::vector<char*> argv;
    for (const auto& a : args) {
      argv.push_back(const_cast<char*>(a.c_str()));
    }
    argv.push_back(nullptr);
    EXPECT_EQ(::posix_spawn(&pid_, argv[0], nullptr, nullptr, argv.data(), environ), 0);
  }
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGCONT);
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  void signal(int signo) { ASSERT_EQ(::kill(pid_, signo), 0); }
  // SIGKILL and reap.
  void kill_now() {
    signal(SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  // Waits for exit; returns the exit status, or -1 on timeout / signal death.
  int wait_exit(std::chrono::milliseconds budget) {
    const auto deadline = std::chrono::steady_clock::now() + budget;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(2ms);  // polling an event with a bounded budget
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
};

// Polls until the server's --port-file exists (it is renamed into place atomically).
std::uint16_t wait_port(const std::string& path) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(path);
    unsigned port = 0;
    if (in >> port && port > 0) {
      return static_cast<std::uint16_t>(port);
    }
    std::this_thread::sleep_for(2ms);
  }
  ADD_FAILURE() << "no port file " << path;
  return 0;
}

class ProcessTest : public ::testing::Test {
 protected:
  std::unique_ptr<Child> start_server(const std::string& listen,
                                      const std::string& port_file,
                                      std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {CONNSWAP_QUICPERF,
                                     "server",
                                     "--listen",
                                     listen,
                                     "--cert",
                                     pki_.server_cert.string(),
                                     "--key",
                                     pki_.server_key.string(),
                                     "--port-file",
                                     port_file};
    args.insert(args.end(), extra.begin(), extra.end());
    std::filesystem::remove(port_file);
    return std::make_unique<Child>(args);
  }

  // `keepalive` 0: the client sends only when it has data, ACKs or a probe to send.
  std::unique_ptr<ClientEndpoint> connect(std::uint16_t port,
                                          ConnectionHandler& handler,
                                          Duration idle_timeout,
                                          Duration keepalive = 0) {
    ClientOptions options;
    options.remote = Address::loopback_v4(port);
    options.quic.tls = testing::client_tls(pki_);
    options.quic.server_name = "localhost";
    options.quic.transport.idle_timeout = idle_timeout;
    options.quic.transport.keepalive = keepalive;
    auto client = ClientEndpoint::connect(loop_, options, handler);
    EXPECT_TRUE(client) << (client ? "" : client.error().message());
    return client ? std::move(*client) : nullptr;
  }

  static Bytes header(quicperf::Command command, std::uint64_t argument) {
    auto h = quicperf::encode({command, argument});
    return Bytes(h.begin(), h.end());
  }

  std::string port_file(const char* name) { return (pki_.dir / name).string(); }

  connswap::testing::TestPki pki_ = connswap::testing::make_test_pki();
  Loop loop_;
};

// The ICMP port-unreachable that makes a killed peer kPeerGone only comes back for a datagram
// sent after the kill. A client with nothing in flight (here: flow-control blocked while the
// echo catches up, about 1 run in 8 under load) sends nothing until its idle timeout, so the
// client keeps a keepalive as the director's worker channels (200 ms) and apps/client do.
constexpr Duration kKeepalive = 200 * kMillisecond;

TEST_F(ProcessTest, KilledServerIsPeerGoneNotIdleTimeout) {
  auto server = start_server("127.0.0.1:0", port_file("port"));
  const auto port = wait_port(port_file("port"));
  testing::StreamingClient handler(header(quicperf::Command::kEcho, 0), true);
  auto client = connect(port, handler, 30 * kSecond, kKeepalive);
  ASSERT_TRUE(client);
  ASSERT_TRUE(loop_.run_until([&] { return handler.received() >= (4 << 20); }, kBudget));
  server->kill_now();
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(loop_.run_until([&] { return handler.closed().has_value(); }, kBudget));
  EXPECT_EQ(handler.closed()->kind, quic::CloseKind::kPeerGone) << handler.closed()->reason;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);  // far below the 30 s idle timeout
}

// The state the test above could be killed in, made certain: nothing in flight, so no loss
// timer is armed; only an ACK still owed or the keepalive PING can draw the ICMP refusal.
TEST_F(ProcessTest, KilledServerOfAQuietConnectionIsPeerGone) {
  auto server = start_server("127.0.0.1:0", port_file("port"));
  const auto port = wait_port(port_file("port"));
  testing::StreamingClient handler(header(quicperf::Command::kEcho, 0), false);
  auto client = connect(port, handler, 30 * kSecond, kKeepalive);
  ASSERT_TRUE(client);
  ASSERT_TRUE(loop_.run_until([&] { return handler.handshake(); }, kBudget));
  handler.send_now(*client->conn(), 1000);
  ASSERT_TRUE(loop_.run_until(
      [&] { return handler.received() >= 1000 && client->conn()->quic().bytes_in_flight() == 0; },
      kBudget));
  server->kill_now();
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(loop_.run_until([&] { return handler.closed().has_value(); }, kBudget));
  EXPECT_EQ(handler.closed()->kind, quic::CloseKind::kPeerGone) << handler.closed()->reason;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST_F(ProcessTest, SilentServerHitsIdleTimeout) {
  auto server = start_server("127.0.0.1:0", port_file("port"));
  const auto port = wait_port(port_file("port"));
  testing::StreamingClient handler(header(quicperf::Command::kEcho, 0), true);
  auto client = connect(port, handler, 1 * kSecond);
  ASSERT_TRUE(client);
  ASSERT_TRUE(loop_.run_until([&] { return handler.received() >= (1 << 20); }, kBudget));
  server->signal(SIGSTOP);  // alive but silent: no ICMP, only the idle timer can tell
  ASSERT_TRUE(loop_.run_until([&] { return handler.closed().has_value(); }, kBudget));
  EXPECT_EQ(handler.closed()->kind, quic::CloseKind::kIdleTimeout) << handler.closed()->reason;
}

TEST_F(ProcessTest, RestartedServerSendsStatelessReset) {
  auto server = start_server("127.0.0.1:0", port_file("port"));
  const auto port = wait_port(port_file("port"));
  testing::StreamingClient handler(header(quicperf::Command::kEcho, 0), false);
  auto client = connect(port, handler, 30 * kSecond);
  ASSERT_TRUE(client);
  ASSERT_TRUE(loop_.run_until([&] { return handler.handshake(); }, kBudget));
  handler.send_now(*client->conn(), 1000);
  ASSERT_TRUE(loop_.run_until([&] { return handler.received() >= 1000; }, kBudget));
  // The loop does not run until the new server is up, so the client sends nothing into the
  // gap (a send to the dead port would come back as ICMP: kPeerGone).
  server->kill_now();
  const std::string listen = "127.0.0.1:" + std::to_string(port);
  auto restarted = start_server(listen, port_file("port2"));
  ASSERT_EQ(wait_port(port_file("port2")), port);
  handler.send_now(*client->conn(), 1000);
  ASSERT_TRUE(loop_.run_until([&] { return handler.closed().has_value(); }, kBudget));
  EXPECT_EQ(handler.closed()->kind, quic::CloseKind::kStatelessReset) << handler.closed()->reason;
}

TEST_F(ProcessTest, ServerExitsCleanlyOnSigterm) {
  auto server = start_server("127.0.0.1:0", port_file("port"));
  wait_port(port_file("port"));
  server->signal(SIGTERM);
  EXPECT_EQ(server->wait_exit(10s), 0);
}

TEST_F(ProcessTest, ServerRejectsBadConfigAndBusyPort) {
  Child missing({CONNSWAP_QUICPERF,
                 "server",
                 "--listen",
                 "127.0.0.1:0",
                 "--cert",
                 "/nonexistent.pem",
                 "--key",
                 pki_.server_key.string()});
  EXPECT_EQ(missing.wait_exit(10s), 1);
  auto server = start_server("127.0.0.1:0", port_file("port"));
  const auto port = wait_port(port_file("port"));
  auto busy = start_server("127.0.0.1:" + std::to_string(port), port_file("port2"));
  EXPECT_EQ(busy->wait_exit(10s), 1);
}

TEST_F(ProcessTest, QuicperfClientAgainstServerProcess) {
  auto server = start_server("127.0.0.1:0", port_file("port"));
  const auto port = wait_port(port_file("port"));
  Child client({CONNSWAP_QUICPERF,
                "client",
                "--connect",
                "127.0.0.1:" + std::to_string(port),
                "--ca",
                pki_.ca_cert.string(),
                "--mode",
                "download",
                "--bytes",
                "8388608",
                "--json"});
  EXPECT_EQ(client.wait_exit(20s), 0);
}

}  // namespace
}  // namespace connswap::net
