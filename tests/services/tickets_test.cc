// Redeeming a resume ticket with the client's `delivered` tokens (PROTOCOL.md §8.6): the
// whole prefix when it is every token 1..last_seq within the prefix bounds and agrees
// with the ticket's window and `recent`; INVALID_ARGUMENT otherwise. Real tickets (HMAC
// token, AES-GCM snapshot) from services::detail::Tickets, as the director makes them.

#include "services/detail/tickets.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "migration/keys.h"

namespace connswap::services::testing {
namespace {

constexpr migration::UnixSeconds kWall = 1'700'000'000;

std::string text(std::uint64_t seq) {
  return "t" + std::to_string(seq) + " ";
}

std::vector<std::string> texts(std::uint64_t first, std::uint64_t last) {
  std::vector<std::string> out;
  for (std::uint64_t seq = first; seq <= last; ++seq) {
    out.push_back(text(seq));
  }
  return out;
}

class TicketsDelivered : public ::testing::Test {
 protected:
  // A director with prefix bounds of 100 tokens and 400 bytes, and a ticket for a stream
  // stopped at next_seq 41 with the window 37..40.
  TicketsDelivered() : tickets_(100, 400) {
    auto key = migration::generate_cluster_key("k1");
    EXPECT_TRUE(key);
    auto ring = migration::Keyring::create(std::span(&*key, 1));
    EXPECT_TRUE(ring);
    tickets_.enable(std::move(*ring), ResumeConfig{}, [] { return kWall; });
    stream_.connection_id = "conn-1";
    stream_.stream_id = 7;
    stream_.request = {.prompt = "p", .max_tokens = 90};
  }

  // A Resume of a fresh ticket (each is redeemable once) at `last_seq` with `delivered`
  // (and `recent` when given).
  v1::Resume resume(std::uint64_t last_seq,
                    const std::vector<std::string>& delivered,
                    const std::vector<std::string>& recent = {}) {
    auto item = tickets_.make(stream_, {41, texts(37, 40), 1}, 0);
    EXPECT_TRUE(item && item->has_ticket());
    v1::Resume r;
    r.set_token(item->ticket().token());
    r.set_snapshot(item->ticket().snapshot());
    r.set_last_seq(last_seq);
    r.mutable_delivered()->Add(delivered.begin(), delivered.end());
    r.mutable_recent()->Add(recent.begin(), recent.end());
    return r;
  }

  detail::Tickets tickets_;
  detail::ClientStream stream_;
};

TEST_F(TicketsDelivered, EveryTokenBecomesTheWholePrefix) {
  auto redeemed = tickets_.redeem(resume(45, texts(1, 45), texts(41, 45)), "conn-1");
  ASSERT_TRUE(redeemed) << redeemed.error().to_string();
  EXPECT_EQ(redeemed->spec.request.start_seq, 46U);
  EXPECT_EQ(redeemed->spec.window, texts(1, 45));
  EXPECT_EQ(redeemed->spec.stream_id, 7U);
}

TEST_F(TicketsDelivered, WithoutDeliveredTheWindowAndRecentAsBefore) {
  auto redeemed = tickets_.redeem(resume(43, {}, texts(41, 43)), "conn-1");
  ASSERT_TRUE(redeemed) << redeemed.error().to_string();
  EXPECT_EQ(redeemed->spec.window, texts(37, 43));
}

TEST_F(TicketsDelivered, RefusesDeliveredThatIsNotEveryTokenWithinTheBounds) {
  std::vector<std::string> altered = texts(1, 42);
  altered[38] = "forged ";  // seq 39: inside the ticket's window
  std::vector<std::string> altered_recent = texts(1, 42);
  altered_recent[41] = "forged ";  // seq 42: after the ticket, as `recent` says otherwise
  const std::vector<std::string> big(40, std::string(11, 'x'));  // 440 bytes > 400
  struct Case {
    const char* name;
    v1::Resume resume;
    const char* says;
  };
  const std::vector<Case> cases = {
      {"one short", resume(42, texts(1, 41)), "delivered has 41 tokens, last_seq is 42"},
      {"one too many", resume(42, texts(1, 43)), "delivered has 43 tokens"},
      {"token bound", resume(101, texts(1, 101)), "exceeds the prefix bounds"},
      {"byte bound", resume(40, big), "exceeds the prefix bounds"},
      {"not the ticket's window", resume(42, altered), "does not match the ticket's window"},
      {"not recent", resume(42, altered_recent, texts(41, 42)), "does not match recent"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto redeemed = tickets_.redeem(c.resume, "conn-1");
    ASSERT_FALSE(redeemed);
    EXPECT_EQ(redeemed.error().code, rpc::StatusCode::kInvalidArgument);
    EXPECT_NE(redeemed.error().message.find(c.says), std::string::npos) << redeemed.error().message;
  }
}

// The count and the bounds are checked before the ticket is redeemed: such a refusal does
// not use the ticket up, so the client may try again with its window only.
TEST_F(TicketsDelivered, ACountOrBoundRefusalLeavesTheTicketRedeemable) {
  v1::Resume r = resume(42, texts(1, 41));
  EXPECT_FALSE(tickets_.redeem(r, "conn-1"));
  r.clear_delivered();
  const std::vector<std::string> recent = texts(41, 42);
  r.mutable_recent()->Add(recent.begin(), recent.end());
  auto redeemed = tickets_.redeem(r, "conn-1");
  ASSERT_TRUE(redeemed) << redeemed.error().to_string();
  EXPECT_EQ(redeemed->spec.window, texts(37, 42));
}

}  // namespace
}  // namespace connswap::services::testing
