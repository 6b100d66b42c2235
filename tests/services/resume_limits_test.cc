// Issue 14 item 2 at the director's ticket layer (services::detail::Tickets, real HMAC
// tokens and AES-GCM snapshots): one abuser resuming many streams over and over, as fast as
// each resumed call is handed a fresh ticket, once filled the 100,000-entry replay cache and
// locked every client out for the tokens' lifetime. Now the abuser meets its per-stream and
// per-connection bounds, and a full cache evicts the abuser, not the honest client.

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "migration/keys.h"
#include "services/detail/tickets.h"

namespace connswap::services::testing {
namespace {

constexpr migration::UnixSeconds kWall = 1'700'000'000;

migration::Keyring keyring() {
  auto key = migration::generate_cluster_key("k1");
  EXPECT_TRUE(key);
  auto ring = migration::Keyring::create(std::span(&*key, 1));
  EXPECT_TRUE(ring);
  return std::move(*ring);
}

class ResumeLimits : public ::testing::Test {
 protected:
  void enable(migration::ReplayLimits limits) {
    ResumeConfig config;
    config.policy.replay = limits;
    tickets_.enable(keyring(), config, [this] { return wall_; });
  }

  // A fresh ticket of stream `stream_id` of `connection_id`, stopped at next_seq 3, as a
  // resumed call hands out at once; then the Resume that presents it.
  v1::Resume ticket(const std::string& connection_id, std::uint64_t stream_id) {
    detail::ClientStream c;
    c.connection_id = connection_id;
    c.stream_id = stream_id;
    c.request = {.prompt = "p", .max_tokens = 50};
    auto item = tickets_.make(c, {3, {"t1 ", "t2 "}, 0}, 0);
    EXPECT_TRUE(item && item->has_ticket());
    v1::Resume r;
    r.set_token(item->ticket().token());
    r.set_snapshot(item->ticket().snapshot());
    r.set_last_seq(2);
    return r;
  }

  rpc::StatusCode resume(const std::string& connection_id, std::uint64_t stream_id) {
    auto redeemed = tickets_.redeem(ticket(connection_id, stream_id), connection_id);
    return redeemed ? rpc::StatusCode::kOk : redeemed.error().code;
  }

  detail::Tickets tickets_{100, 4096};
  migration::UnixSeconds wall_ = kWall;
};

// One connection id resumes stream 1 five times (the per-stream bound, 3, refuses two),
// then streams 2-10 twice each (the per-connection bound, 12, refuses the second round);
// an honest client on another connection id still resumes.
TEST_F(ResumeLimits, OneAbusiveConnectionIsRefusedOthersStillResume) {
  enable({.capacity = 100, .per_connection = 12, .per_stream = 3});
  std::vector<rpc::StatusCode> codes;
  for (int i = 0; i < 5; ++i) {
    codes.push_back(resume("abuser", 1));
  }
  for (int round = 0; round < 2; ++round) {
    for (std::uint64_t stream = 2; stream <= 10; ++stream) {
      codes.push_back(resume("abuser", stream));
    }
  }
  const auto count = [&](rpc::StatusCode code) {
    return static_cast<std::size_t>(std::count(codes.begin(), codes.end(), code));
  };
  EXPECT_EQ(count(rpc::StatusCode::kOk), 12U);
  EXPECT_EQ(count(rpc::StatusCode::kResourceExhausted), 11U);
  const ResumeRefusals r = tickets_.refusals();
  EXPECT_EQ(r.per_stream, 2U);
  EXPECT_EQ(r.per_connection, 9U);
  EXPECT_EQ(r.replay_full, 0U);
  EXPECT_EQ(resume("honest", 1), rpc::StatusCode::kOk);
}

// The attack the issue describes, scaled down: abusers fill the whole cache (here with
// many connection ids, each within its bound). A full cache evicts the heaviest connection
// id into a tombstone, so the honest client still resumes; the evicted abuser's redeemed
// tickets stay refused.
TEST_F(ResumeLimits, AFullCacheEvictsAnAbuserNotTheHonestClient) {
  enable({.capacity = 40, .per_connection = 10, .per_stream = 10});
  std::vector<v1::Resume> redeemed_by_abuser;
  for (int abuser = 0; abuser < 4; ++abuser) {
    const std::string id = "abuser-" + std::to_string(abuser);
    for (std::uint64_t stream = 1; stream <= 10; ++stream) {
      v1::Resume r = ticket(id, stream);
      ASSERT_TRUE(tickets_.redeem(r, id));
      redeemed_by_abuser.push_back(std::move(r));
    }
  }
  EXPECT_EQ(resume("honest", 1), rpc::StatusCode::kOk);  // was RESOURCE_EXHAUSTED for ~5.5 min
  EXPECT_EQ(tickets_.refusals().evictions, 1U);
  EXPECT_EQ(tickets_.refusals().replay_full, 0U);
  // No redeemed ticket replays, evicted or not.
  for (std::size_t i = 0; i < redeemed_by_abuser.size(); ++i) {
    const std::string id = "abuser-" + std::to_string(i / 10);
    auto again = tickets_.redeem(redeemed_by_abuser[i], id);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, rpc::StatusCode::kFailedPrecondition) << again.error().message;
  }
  EXPECT_EQ(resume("honest", 2), rpc::StatusCode::kOk);
}

// Issue 14 item 7: the director trusted last_seq when `recent` was empty, so a client
// could claim tokens it never received (skipping them, and leaving the next worker a
// prefix with a hole) or past max_tokens. Refused, before the ticket is redeemed.
TEST_F(ResumeLimits, APositionThatDoesNotFollowTheTicketIsRefusedAndKeepsTheTicket) {
  enable({});
  v1::Resume r = ticket("conn-1", 1);  // next_seq 3, max_tokens 50
  for (const std::uint64_t last : {10ULL, 49ULL, 51ULL, 1ULL, ~0ULL}) {
    SCOPED_TRACE("last_seq " + std::to_string(last));
    r.set_last_seq(last);
    auto refused = tickets_.redeem(r, "conn-1");
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, rpc::StatusCode::kInvalidArgument) << refused.error().message;
  }
  // With the tokens to show for it (recent), past max_tokens still refused.
  r.set_last_seq(51);
  for (std::uint64_t seq = 3; seq <= 51; ++seq) {
    r.add_recent("t" + std::to_string(seq) + " ");
  }
  EXPECT_FALSE(tickets_.redeem(r, "conn-1"));
  EXPECT_EQ(tickets_.refusals().position, 6U);
  // The honest position still works with the same ticket: none of the above used it up.
  r.clear_recent();
  r.set_last_seq(4);
  r.add_recent("t3 ");
  r.add_recent("t4 ");
  auto redeemed = tickets_.redeem(r, "conn-1");
  ASSERT_TRUE(redeemed) << redeemed.error().to_string();
  EXPECT_EQ(redeemed->spec.request.start_seq, 5U);
  EXPECT_EQ(redeemed->spec.window, (std::vector<std::string>{"t1 ", "t2 ", "t3 ", "t4 "}));
}

// The failures counted against the migration limit travel in the ticket and come back as
// the resumed stream's starting count.
TEST_F(ResumeLimits, TheTicketCarriesTheFailoversIntoTheResumedStream) {
  enable({});
  detail::ClientStream c;
  c.connection_id = "conn-1";
  c.stream_id = 4;
  c.request = {.prompt = "p", .max_tokens = 50};
  auto item = tickets_.make(c, {3, {"t1 ", "t2 "}, 5, 2}, 0);
  ASSERT_TRUE(item);
  v1::Resume r;
  r.set_token(item->ticket().token());
  r.set_snapshot(item->ticket().snapshot());
  r.set_last_seq(2);
  auto redeemed = tickets_.redeem(r, "conn-1");
  ASSERT_TRUE(redeemed) << redeemed.error().to_string();
  EXPECT_EQ(redeemed->spec.prior_failovers, 2U);
  EXPECT_EQ(redeemed->migrations, 5U);
}

}  // namespace
}  // namespace connswap::services::testing
