// Issue 14 item 2 against the real programs over QUIC: one client connection resuming its
// streams over and over (each resumed call is handed a fresh ticket at once) once filled
// the director's replay cache and locked every client's resume out for ~5.5 minutes. Now
// the abuser meets --resume-max-per-stream and --resume-max-per-connection
// (RESOURCE_EXHAUSTED) while an honest client on another connection resumes and finishes.

#include <optional>
#include <vector>

#include <connswap/v1/director.pb.h>
#include <gtest/gtest.h>

#include "base/address.h"
#include "e2e/cluster.h"
#include "net/loop.h"
#include "quic/tls.h"
#include "rpcnet/channel.h"
#include "services/common.h"

namespace connswap::e2e {
namespace {

// One QUIC connection making Director/Generate calls under one connection id.
class RawClient {
 public:
  RawClient(const std::filesystem::path& ca, const std::string& user, std::string connection_id)
      : connection_id_(std::move(connection_id)) {
    quic::ClientTlsOptions tls_options;
    tls_options.ca_file = ca.string();
    auto tls = quic::TlsContext::make_client(tls_options);
    EXPECT_TRUE(tls);
    rpcnet::ChannelOptions options;
    options.remote = *Address::parse(user);
    options.quic.tls = *tls;
    options.quic.server_name = "localhost";
    auto channel = rpcnet::Channel::connect(loop_, std::move(options));
    EXPECT_TRUE(channel);
    channel_ = std::move(*channel);
  }

  struct Outcome {
    std::optional<v1::ResumeTicket> ticket;  // the first one the call handed out
    std::optional<rpc::Status> status;       // how the call ended (nullopt: we cancelled it)
    std::size_t tokens = 0;
  };

  // Makes the call; with `stop_at_ticket`, cancels it at its first ticket (a client that
  // only wants tickets); else runs it to its end.
  Outcome call(const v1::GenerateRequest& request, bool stop_at_ticket) {
    Outcome out;
    bool done = false;
    rpc::CallOptions options;
    options.method = std::string(services::kDirectorGenerate);
    options.metadata[std::string(services::kConnectionIdKey)] = connection_id_;
    options.deadline = loop_.refresh_now() + 30 * kSecond;
    rpc::ClientCallbacks<v1::GenerateItem> callbacks;
    callbacks.on_message = [&](v1::GenerateItem&& item) {
      if (item.has_ticket() && !out.ticket) {
        out.ticket = item.ticket();
        done = done || stop_at_ticket;
      }
      out.tokens += item.has_token() ? 1 : 0;
    };
    callbacks.on_done = [&](const rpc::Status& status) {
      out.status = status;
      done = true;
    };
    auto started =
        channel_->start_call<v1::GenerateRequest, v1::GenerateItem>(options, std::move(callbacks));
    EXPECT_TRUE(started);
    if (!started) {
      return out;
    }
    EXPECT_TRUE(started->write(request));
    EXPECT_TRUE(started->half_close());
    EXPECT_TRUE(loop_.run_until([&] { return done; }, 30 * kSecond));
    if (!out.status) {
      started->cancel();
    }
    return out;
  }

  // A new stream of `max_tokens`, cancelled at its first ticket.
  Outcome open(std::uint32_t max_tokens) {
    v1::GenerateRequest request;
    request.set_prompt("abuse");
    request.set_max_tokens(max_tokens);
    return call(request, /*stop_at_ticket=*/true);
  }

  // Resumes with `ticket` where it stopped (no token received since).
  Outcome resume(const v1::ResumeTicket& ticket, bool stop_at_ticket) {
    v1::GenerateRequest request;
    v1::Resume* r = request.mutable_resume();
    r->set_token(ticket.token());
    r->set_snapshot(ticket.snapshot());
    r->set_last_seq(ticket.next_seq() - 1);
    return call(request, stop_at_ticket);
  }

 private:
  std::string connection_id_;
  net::Loop loop_;
  std::unique_ptr<rpcnet::Channel> channel_;
};

TEST(ResumeAbuse, OneConnectionResumingInALoopIsRefusedAnotherStillResumes) {
  Cluster c;
  const auto keys = c.make_key_file("k1");
  ASSERT_FALSE(keys.empty()) << c.logs();
  c.start_director({{"--cluster-key-file", keys.string()},
                    {"--resume-max-per-stream", "2"},
                    {"--resume-max-per-connection", "4"},
                    {"--resume-replay-capacity", "8"}});
  c.start_worker("worker-a", {{"--token-interval-ms", "20"}});
  const std::filesystem::path ca = c.certs() / "ca.pem";

  // The abuser: 3 streams on one connection, each resumed with its newest ticket, round
  // after round.
  RawClient abuser(ca, c.director().user(), "conn-abuser");
  std::vector<v1::ResumeTicket> tickets;
  for (int i = 0; i < 3; ++i) {
    auto opened = abuser.open(100'000);
    ASSERT_TRUE(opened.ticket) << c.logs();
    tickets.push_back(*opened.ticket);
  }
  std::size_t resumed = 0;
  std::size_t exhausted = 0;
  for (int round = 0; round < 4; ++round) {
    for (auto& ticket : tickets) {
      auto r = abuser.resume(ticket, /*stop_at_ticket=*/true);
      if (r.ticket) {
        ++resumed;
        ticket = *r.ticket;  // the fresh ticket the resumed call was handed at once
      } else {
        ASSERT_TRUE(r.status) << c.logs();
        EXPECT_EQ(r.status->code, rpc::StatusCode::kResourceExhausted) << r.status->to_string();
        ++exhausted;
      }
    }
  }
  // Stream 1 twice, streams 2 and 3 once each: the per-connection bound (4); the 8
  // attempts after it are refused (2 of them by the per-stream bound first).
  EXPECT_EQ(resumed, 4U) << c.logs();
  EXPECT_EQ(exhausted, 8U) << c.logs();

  // An honest client on another connection: opens a stream, loses it at its first ticket,
  // resumes it and receives every token.
  RawClient honest(ca, c.director().user(), "conn-honest");
  auto opened = honest.open(20);
  ASSERT_TRUE(opened.ticket) << c.logs();
  auto finished = honest.resume(*opened.ticket, /*stop_at_ticket=*/false);
  ASSERT_TRUE(finished.status) << c.logs();
  EXPECT_TRUE(finished.status->ok()) << finished.status->to_string() << "\n" << c.logs();
  EXPECT_EQ(finished.tokens, 20U);
  EXPECT_FALSE(c.director().process->stderr_lines({"replay_connection_limit"}).empty()) << c.logs();
  EXPECT_FALSE(c.director().process->stderr_lines({"replay_stream_limit"}).empty()) << c.logs();
}

}  // namespace
}  // namespace connswap::e2e
