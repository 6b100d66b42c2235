// Whole-cluster behaviour with the real programs: workers that come late or never, many
// streams across a failover, intruders on the MGMT port, a director restart.

#include "e2e/cluster.h"

#include <chrono>

#include <connswap/v1/director.pb.h>
#include <gtest/gtest.h>
#include <signal.h>

#include "base/address.h"
#include "e2e/expect.h"
#include "net/loop.h"
#include "quic/tls.h"
#include "rpcnet/channel.h"
#include "services/common.h"

namespace connswap::e2e {
namespace {

using Clock = std::chrono::steady_clock;

TEST(Cluster, LoneWorkerFailsAndALateWorkerTakesOver) {
  Cluster c;
  // The director waits up to 10 s for a worker; worker-a fails once and stays out (hold and
  // recovery far beyond the test) so only the late worker-b can take the stream.
  c.start_director({{"--worker-wait-ms", "10000"}, {"--failure-hold-ms", "60000"}});
  c.start_worker(
      "worker-a",
      {{"--fail-mode", "error"}, {"--fail-after-ms", "1500"}, {"--recovery-ms", "60000"}});
  auto& client = c.start_client("client", {{"--max-tokens", "100"}});
  ASSERT_TRUE(wait_token(client, 3)) << c.logs();
  ASSERT_TRUE(c.director().process->wait_for_log({"no worker available, waiting"}, kStreamBudget))
      << c.logs();
  c.start_worker("worker-b");
  auto summary = c.finish_client(client);
  expect_intact(c, client, summary, 100);
  expect_one_migration(c, client, summary, "worker-a", "worker-b", {"error"});
}

TEST(Cluster, NoWorkerEndsUnavailableWithinTheWait) {
  Cluster c;
  c.start_director({{"--worker-wait-ms", "1000"}});
  const auto start = Clock::now();
  auto& client = c.start_client("client");
  auto status = client.wait_exit(kStreamBudget);
  const auto elapsed = Clock::now() - start;
  ASSERT_TRUE(status) << "client hung\n" << c.logs();
  EXPECT_EQ(status->code, 1) << testing::to_string(*status);
  EXPECT_GE(elapsed, 900ms);
  EXPECT_LT(elapsed, 1000ms + 10s);  // the wait plus a margin for process start (ASan)
  EXPECT_EQ(client.stderr_lines({"stream failed", "UNAVAILABLE"}).size(), 1U) << c.logs();
  auto summary = parse_summary(client.stdout_text());
  ASSERT_TRUE(summary.found);
  EXPECT_EQ(summary.at("verified"), "false");
  EXPECT_EQ(summary.num("tokens"), 0U);
}

TEST(Cluster, FiftyStreamsFromTwoClientsAcrossAFailover) {
  Cluster c;
  c.start_director();
  c.start_worker("worker-b");
  c.start_worker("worker-a", {{"--fail-mode", "error"}, {"--fail-after-ms", "1500"}});
  const Flags flags = {{"--streams", "25"}, {"--max-tokens", "100"}};
  auto& one = c.start_client("one", flags);
  auto& two = c.start_client("two", flags);
  auto s1 = c.finish_client(one);
  auto s2 = c.finish_client(two);
  expect_intact(c, one, s1, 100, 25);
  expect_intact(c, two, s2, 100, 25);
  // Round robin put about half of the streams on worker-a; each of them moved once.
  std::uint64_t moved = 0;
  for (auto* client : {&one, &two}) {
    for (const auto& m : migrations_of(*client)) {
      EXPECT_EQ(m.from, "worker-a");
      EXPECT_EQ(m.to, "worker-b");
      EXPECT_EQ(m.reason, "error");
      ++moved;
    }
  }
  EXPECT_EQ(moved, s1.num("migrations") + s2.num("migrations"));
  EXPECT_GE(moved, 10U);
  EXPECT_LE(moved, 40U);
}

// Registers `label` on the MGMT port at `mgmt` presenting no client certificate; returns
// the call's status code (OK = the intruder got in).
rpc::StatusCode register_without_certificate(const std::filesystem::path& ca,
                                             const std::string& mgmt,
                                             const std::string& label) {
  net::Loop loop;
  quic::ClientTlsOptions tls_options;
  tls_options.ca_file = ca.string();  // trusts the director, presents nothing
  auto tls = quic::TlsContext::make_client(tls_options);
  EXPECT_TRUE(tls);
  rpcnet::ChannelOptions options;
  options.remote = *Address::parse(mgmt);
  options.quic.tls = *tls;
  options.quic.server_name = "localhost";
  auto channel = rpcnet::Channel::connect(loop, std::move(options));
  EXPECT_TRUE(channel);
  v1::RegisterRequest request;
  request.set_label(label);
  request.set_user_addr("127.0.0.1:9");
  request.set_mgmt_addr("127.0.0.1:9");
  request.set_available(true);
  std::optional<rpc::StatusCode> code;
  rpc::CallOptions call;
  call.method = std::string(services::kRegistryRegister);
  call.deadline = loop.refresh_now() + 10 * kSecond;
  auto started = (*channel)->call_unary<v1::RegisterRequest, v1::RegisterResponse>(
      call, request, [&](rpc::UnaryResult<v1::RegisterResponse> r) {
        code = r ? rpc::StatusCode::kOk : r.error().code;
      });
  EXPECT_TRUE(started);
  EXPECT_TRUE(loop.run_until([&] { return code.has_value(); }, 20 * kSecond));
  return code.value_or(rpc::StatusCode::kOk);
}

TEST(Cluster, IntrudersCannotRegister) {
  Cluster c;
  c.start_director();
  c.start_worker("worker-a");
  // A worker whose certificate comes from another CA (it trusts the real director).
  const auto evil = c.make_certs("evil-certs");
  ASSERT_FALSE(evil.empty());
  Node& intruder = c.start_worker("worker-evil", {}, /*wait_registered=*/false, evil);
  ASSERT_TRUE(intruder.process->wait_for_log({"worker=worker-evil", "failed"}, kStartBudget, 2))
      << c.logs();
  // A client that presents no certificate at all.
  EXPECT_NE(
      register_without_certificate(c.certs() / "ca.pem", c.director().mgmt(), "worker-nocert"),
      rpc::StatusCode::kOk);
  // The director said so (a failed handshake for the foreign certificate, a refused call
  // for the missing one), and neither got in.
  const auto& director = *c.director().process;
  EXPECT_FALSE(director.stderr_lines({"WARN", "kind=handshake_failed"}).empty()) << c.logs();
  EXPECT_FALSE(director
                   .stderr_lines(
                       {"WARN", "refused a call without a client certificate", "Registry/Register"})
                   .empty())
      << c.logs();
  EXPECT_TRUE(director.stderr_lines({"worker=worker-evil", "registered"}).empty());
  EXPECT_TRUE(director.stderr_lines({"worker=worker-nocert", "registered"}).empty());
  // Streams go to the real worker only.
  auto& client = c.start_client("client", {{"--streams", "4"}, {"--max-tokens", "20"}});
  auto summary = c.finish_client(client);
  expect_intact(c, client, summary, 20, 4);
  for (const auto& line : client.stderr_lines({"worker assigned to stream"})) {
    EXPECT_EQ(log_field(line, "worker"), "worker-a") << line;
  }
  EXPECT_EQ(summary.num("migrations"), 0U);
}

TEST(Cluster, WorkersRegisterAgainWithARestartedDirector) {
  Cluster c;
  Node& first = c.start_director();
  c.start_worker("worker-a");
  c.start_worker("worker-b");
  auto& before = c.start_client("before", {{"--max-tokens", "20"}});
  expect_intact(c, before, c.finish_client(before), 20);

  const std::string user = first.user();
  const std::string mgmt = first.mgmt();
  ASSERT_TRUE(first.process->signal(SIGKILL));
  ASSERT_TRUE(first.process->wait_exit(kStartBudget));
  Node& second = c.start_director(
      {{"--user-addr", user}, {"--mgmt-addr", mgmt}, {"--metrics-addr", "127.0.0.1:0"}});
  ASSERT_EQ(second.user(), user);
  // Workers see NOT_FOUND or a lost connection, and register again.
  EXPECT_TRUE(c.wait_registered("worker-a")) << c.logs();
  EXPECT_TRUE(c.wait_registered("worker-b")) << c.logs();
  // Its metrics agree (refreshed periodically: poll).
  const std::string metrics = second.field("metrics");
  ASSERT_FALSE(metrics.empty());
  std::optional<double> active;
  testing::poll_until(
      [&] {
        active = metric_value(http_get(metrics, "/metrics"), "connswap_workers{state=\"active\"}");
        return active == 2.0;
      },
      kStartBudget);
  EXPECT_EQ(active, 2.0) << http_get(metrics, "/metrics");
  auto& after = c.start_client("after", {{"--max-tokens", "20"}});
  expect_intact(c, after, c.finish_client(after), 20);
}

}  // namespace
}  // namespace connswap::e2e
