// Issue 14 attacks against the real programs over QUIC: a near-limit Generate request (it
// once marked both workers failed and slowed every other client for 5 s) and a connection
// id carrying a newline (it once wrote a forged line into the director's log), and a
// connection flood from one address (caps, Retry; item 3).

#include <chrono>
#include <memory>
#include <vector>

#include <connswap/v1/director.pb.h>
#include <gtest/gtest.h>

#include "base/address.h"
#include "e2e/cluster.h"
#include "e2e/expect.h"
#include "net/loop.h"
#include "quic/tls.h"
#include "rpcnet/channel.h"
#include "services/common.h"

namespace connswap::e2e {
namespace {

using Clock = std::chrono::steady_clock;

struct Outcome {
  rpc::StatusCode code = rpc::StatusCode::kUnknown;
  std::string message;
  std::size_t items = 0;
};

// One Director/Generate call over a fresh QUIC connection, as a client would make it.
Outcome generate(const std::filesystem::path& ca,
                 const std::string& user,
                 const std::string& connection_id,
                 std::string prompt) {
  net::Loop loop;
  quic::ClientTlsOptions tls_options;
  tls_options.ca_file = ca.string();
  auto tls = quic::TlsContext::make_client(tls_options);
  EXPECT_TRUE(tls);
  rpcnet::ChannelOptions options;
  options.remote = *Address::parse(user);
  options.quic.tls = *tls;
  options.quic.server_name = "localhost";
  auto channel = rpcnet::Channel::connect(loop, std::move(options));
  EXPECT_TRUE(channel);
  Outcome out;
  bool done = false;
  rpc::CallOptions call;
  call.method = std::string(services::kDirectorGenerate);
  call.metadata[std::string(services::kConnectionIdKey)] = connection_id;
  call.deadline = loop.refresh_now() + 30 * kSecond;
  rpc::ClientCallbacks<v1::GenerateItem> callbacks;
  callbacks.on_message = [&](v1::GenerateItem&&) { ++out.items; };
  callbacks.on_done = [&](const rpc::Status& status) {
    out.code = status.code;
    out.message = status.message;
    done = true;
  };
  auto started =
      (*channel)->start_call<v1::GenerateRequest, v1::GenerateItem>(call, std::move(callbacks));
  EXPECT_TRUE(started);
  if (!started) {
    return out;
  }
  v1::GenerateRequest request;
  request.set_prompt(std::move(prompt));
  request.set_max_tokens(20);
  EXPECT_TRUE(started->write(request));
  EXPECT_TRUE(started->half_close());
  EXPECT_TRUE(loop.run_until([&] { return done; }, 30 * kSecond));
  return out;
}

TEST(Hardening, ANearLimitRequestIsRefusedAndBlamesNoWorker) {
  Cluster c;
  c.start_director();
  c.start_worker("worker-a");
  c.start_worker("worker-b");
  const std::string ca = (c.certs() / "ca.pem").string();

  const Outcome big = generate(ca, c.director().user(), "conn-big", std::string(4'194'000, 'x'));
  EXPECT_EQ(big.code, rpc::StatusCode::kInvalidArgument) << big.message;
  EXPECT_NE(big.message.find("request too large"), std::string::npos) << big.message;
  EXPECT_EQ(big.items, 0U);  // no Assigned, no Migrated

  // An honest client right after is served at once by either worker, with no migration.
  const auto start = Clock::now();
  auto& honest = c.start_client("honest", {{"--max-tokens", "20"}});
  auto summary = c.finish_client(honest);
  expect_intact(c, honest, summary, 20);
  EXPECT_EQ(summary.num("migrations"), 0U);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(4)) << "a worker was held";
  EXPECT_TRUE(c.director().process->stderr_lines({"worker failed"}).empty()) << c.logs();
  EXPECT_FALSE(c.director().process->stderr_lines({"request too large"}).empty()) << c.logs();
}

TEST(Hardening, ANewlineInAConnectionIdForgesNoLogLine) {
  Cluster c;
  c.start_director();
  c.start_worker("worker-a");
  const Outcome forged = generate((c.certs() / "ca.pem").string(),
                                  c.director().user(),
                                  "x\n00:00:00.000000 ERROR director FORGED",
                                  "hello");
  EXPECT_EQ(forged.code, rpc::StatusCode::kInvalidArgument) << forged.message;
  EXPECT_NE(forged.message.find("connection-id"), std::string::npos) << forged.message;
  EXPECT_TRUE(c.director().process->wait_for_log({"bad connection id"}, kStreamBudget)) << c.logs();
  EXPECT_TRUE(c.director().process->stderr_lines({"FORGED"}).empty()) << c.logs();
  EXPECT_TRUE(c.find_node("worker-a")->process->stderr_lines({"FORGED"}).empty()) << c.logs();
}

// Unbounded Generate calls, each on its own QUIC connection from this process (one source
// address), all on one loop; they stay open until the object goes.
struct Flood {
  Flood(const std::filesystem::path& ca, const std::string& user, std::size_t n) {
    quic::ClientTlsOptions tls_options;
    tls_options.ca_file = ca.string();
    auto tls = quic::TlsContext::make_client(tls_options);
    EXPECT_TRUE(tls);
    outcomes.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      rpcnet::ChannelOptions options;
      options.remote = *Address::parse(user);
      options.quic.tls = *tls;
      options.quic.server_name = "localhost";
      auto channel = rpcnet::Channel::connect(loop, std::move(options));
      EXPECT_TRUE(channel);
      rpc::CallOptions call;
      call.method = std::string(services::kDirectorGenerate);
      call.metadata[std::string(services::kConnectionIdKey)] = "flood-" + std::to_string(i);
      rpc::ClientCallbacks<v1::GenerateItem> callbacks;
      Outcome* out = &outcomes[i];
      out->code = rpc::StatusCode::kOk;
      callbacks.on_message = [out](v1::GenerateItem&&) { ++out->items; };
      callbacks.on_done = [out](const rpc::Status& status) {
        out->code = status.code;
        out->message = status.message;
        out->items += 1'000'000;  // marks "ended"
      };
      auto started =
          (*channel)->start_call<v1::GenerateRequest, v1::GenerateItem>(call, std::move(callbacks));
      EXPECT_TRUE(started);
      v1::GenerateRequest request;
      request.set_prompt("flood");
      request.set_max_tokens(0);
      EXPECT_TRUE(started->write(request));
      EXPECT_TRUE(started->half_close());
      calls.push_back(std::move(*started));
      channels.push_back(std::move(*channel));
    }
  }
  bool ended(std::size_t i) const { return outcomes[i].items >= 1'000'000; }
  bool streaming(std::size_t i) const { return !ended(i) && outcomes[i].items > 0; }

  net::Loop loop;
  std::vector<Outcome> outcomes;
  std::vector<std::unique_ptr<rpcnet::Channel>> channels;
  std::vector<rpc::ClientCall<v1::GenerateRequest, v1::GenerateItem>> calls;
};

TEST(Hardening, AConnectionFloodFromOneAddressIsCappedAndRetried) {
  Cluster c;
  c.start_director({{"--max-connections-per-address", "3"},
                    {"--retry-above-handshakes-per-s", "0"},
                    {"--metrics-addr", "127.0.0.1:0"}});
  c.start_worker("worker-a");
  {
    Flood flood(c.certs() / "ca.pem", c.director().user(), 4);
    // Three connections stream; the fourth is refused at its first packet, not timed out.
    const auto start = Clock::now();
    ASSERT_TRUE(flood.loop.run_until(
        [&] {
          return flood.streaming(0) && flood.streaming(1) && flood.streaming(2) && flood.ended(3);
        },
        30 * kSecond))
        << c.logs();
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
    EXPECT_EQ(flood.outcomes[3].code, rpc::StatusCode::kUnavailable) << flood.outcomes[3].message;
    EXPECT_NE(flood.outcomes[3].message.find("too many connections"), std::string::npos)
        << flood.outcomes[3].message;
    // The director's gauge counts the three held connections (refreshed each second).
    EXPECT_TRUE(testing::poll_until(
        [&] {
          flood.loop.run_until([] { return false; }, 50 * kMillisecond);  // keep them served
          return metric_value(http_get(c.director().field("metrics"), "/metrics"),
                              "connswap_user_connections") == 3.0;
        },
        kStartBudget));
  }
  // The flood's connections closed: the director lets them go (their draining period).
  const std::string metrics = c.director().field("metrics");
  std::optional<double> held;
  testing::poll_until(
      [&] {
        held = metric_value(http_get(metrics, "/metrics"), "connswap_user_connections");
        return held == 0.0;
      },
      kStartBudget);
  ASSERT_EQ(held, 0.0) << http_get(metrics, "/metrics");
  // Every handshake went through a Retry (rate 0), and the real client follows it too.
  auto& honest = c.start_client("honest", {{"--max-tokens", "20"}});
  auto summary = c.finish_client(honest);
  expect_intact(c, honest, summary, 20);
  std::optional<double> refused, retries;
  testing::poll_until(
      [&] {
        const std::string text = http_get(metrics, "/metrics");
        refused = metric_value(
            text, "connswap_requests_refused_total{reason=\"max_connections_per_address\"}");
        retries = metric_value(text, "connswap_quic_retries_total");
        return refused == 1.0 && retries.value_or(0) >= 5.0;
      },
      kStartBudget);
  EXPECT_EQ(refused.value_or(0), 1.0);
  EXPECT_GE(retries.value_or(0), 5.0);  // four flood connections and the honest client
}

}  // namespace
}  // namespace connswap::e2e
