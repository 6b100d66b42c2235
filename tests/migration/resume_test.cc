#include "migration/resume.h"

#include <gtest/gtest.h>

#include "migration/test_keys.h"  // tests/migration

namespace connswap::migration {
namespace {

using testing::fixed_key;
using testing::keyring_of;

constexpr UnixSeconds kNow = 1'700'000'000;

StreamSnapshot snapshot(std::uint64_t stream_id = 3, std::string prompt = "p") {
  StreamSnapshot s;
  s.connection_id = "conn-7";
  s.stream_id = stream_id;
  s.request.prompt = std::move(prompt);
  s.request.max_tokens = 100;
  s.next_seq = 41;
  s.window = {"t38", "t39", "t40"};
  s.created_at = kNow;
  return s;
}

class ResumeTest : public ::testing::Test {
 protected:
  ResumeTicketBytes ticket(const StreamSnapshot& s = snapshot()) {
    auto t = issue_resume(ring_, s, kNow, 60, testing::seeded_random(5));
    EXPECT_TRUE(t) << t.error().message();
    return t ? *t : ResumeTicketBytes{};
  }

  Keyring ring_ = keyring_of({fixed_key("k1", 1)});
  TokenVerifier verifier_{ring_};
};

TEST_F(ResumeTest, AnotherDirectorContinuesTheStream) {
  const ResumeTicketBytes t = ticket();
  EXPECT_EQ(t.expires_at, kNow + 60);
  // A second director with the same key file and no shared state.
  TokenVerifier elsewhere(keyring_of({fixed_key("k1", 1)}));
  auto grant = redeem_resume(elsewhere, t.token, t.snapshot, "conn-7", kNow + 5);
  ASSERT_TRUE(grant) << grant.error().message();
  EXPECT_EQ(grant->claims.stream_id, 3U);
  EXPECT_EQ(grant->snapshot.next_seq, 41U);
  EXPECT_EQ(grant->snapshot.window, (std::vector<std::string>{"t38", "t39", "t40"}));
  EXPECT_EQ(grant->snapshot.request.prompt, "p");
  auto again = redeem_resume(elsewhere, t.token, t.snapshot, "conn-7", kNow + 6);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, MigrationErrc::kReplayed);
}

TEST_F(ResumeTest, MismatchedTokenAndSnapshotAreRefusedWithoutBurningTheToken) {
  const ResumeTicketBytes a = ticket(snapshot(3));
  const ResumeTicketBytes other_stream = ticket(snapshot(4));
  const ResumeTicketBytes other_request = ticket(snapshot(3, "another prompt"));
  auto r = redeem_resume(verifier_, a.token, other_stream.snapshot, "conn-7", kNow);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, MigrationErrc::kMismatch);
  r = redeem_resume(verifier_, a.token, other_request.snapshot, "conn-7", kNow);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, MigrationErrc::kMismatch);
  Bytes broken = a.snapshot;
  broken.back() ^= 1;
  r = redeem_resume(verifier_, a.token, broken, "conn-7", kNow);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, MigrationErrc::kDecryptFailed);
  EXPECT_EQ(verifier_.replay_entries(), 0U);
  EXPECT_TRUE(redeem_resume(verifier_, a.token, a.snapshot, "conn-7", kNow));
}

// Issue 14 item 7: a token bound only (connection, stream, request) could be presented
// with an older snapshot of the same stream: an earlier position (tokens again) or fewer
// failovers (the migration limit restarted). The token now names its snapshot's digest.
TEST_F(ResumeTest, ATokenOpensOnlyWithItsOwnSnapshot) {
  StreamSnapshot early = snapshot();
  early.failovers = 0;
  StreamSnapshot late = snapshot();
  late.next_seq = 80;
  late.failovers = 3;
  const ResumeTicketBytes old_ticket = ticket(early);
  const ResumeTicketBytes new_ticket = ticket(late);
  auto r = redeem_resume(verifier_, new_ticket.token, old_ticket.snapshot, "conn-7", kNow);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, MigrationErrc::kMismatch) << r.error().message();
  EXPECT_EQ(verifier_.replay_entries(), 0U);  // refused before redeeming
  auto grant = redeem_resume(verifier_, new_ticket.token, new_ticket.snapshot, "conn-7", kNow);
  ASSERT_TRUE(grant) << grant.error().message();
  EXPECT_EQ(grant->snapshot.next_seq, 80U);
  EXPECT_EQ(grant->snapshot.failovers, 3U);  // sealed, so the next director keeps counting
}

// check_resume() checks everything but does not redeem.
TEST_F(ResumeTest, CheckDoesNotRedeem) {
  const ResumeTicketBytes t = ticket();
  ASSERT_TRUE(check_resume(verifier_, t.token, t.snapshot, "conn-7", kNow));
  EXPECT_EQ(verifier_.replay_entries(), 0U);
  EXPECT_TRUE(redeem_resume(verifier_, t.token, t.snapshot, "conn-7", kNow));
  EXPECT_EQ(verifier_.replay_entries(), 1U);
}

TEST_F(ResumeTest, TicketIsBoundToItsConnection) {
  const ResumeTicketBytes t = ticket();
  auto r = redeem_resume(verifier_, t.token, t.snapshot, "conn-8", kNow);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, MigrationErrc::kWrongConnection);
}

TEST_F(ResumeTest, ErrorsConvertToTheProjectError) {
  const ResumeTicketBytes t = ticket();
  auto r = redeem_resume(verifier_, t.token, t.snapshot, "conn-7", kNow + 61);
  ASSERT_FALSE(r);
  const Error e = r.error();
  EXPECT_EQ(e.code, Errc::kInvalidArgument);
  EXPECT_EQ(e.detail.rfind("expired: token expired", 0), 0U) << e.detail;
  // Result<T> code propagates it directly.
  auto f = [&]() -> Result<int> { return Unexpected(r.error()); };
  EXPECT_EQ(f().error().code, Errc::kInvalidArgument);
}

}  // namespace
}  // namespace connswap::migration
