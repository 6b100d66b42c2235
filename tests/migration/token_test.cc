#include "migration/token.h"

#include <gtest/gtest.h>

#include "migration/test_keys.h"  // tests/migration

namespace connswap::migration {
namespace {

using testing::fixed_key;
using testing::keyring_of;

constexpr UnixSeconds kNow = 1'700'000'000;
constexpr std::uint64_t kTtl = 300;

Digest digest_of(std::uint8_t fill) {
  Digest d{};
  d.fill(fill);
  return d;
}

TokenSubject subject() {
  return TokenSubject{"conn-1234", 7, digest_of(0xab)};
}

Bytes issue(const Keyring& ring, UnixSeconds now = kNow, std::uint64_t seed = 1) {
  auto token = issue_token(ring, subject(), now, kTtl, testing::seeded_random(seed));
  EXPECT_TRUE(token) << token.error().message();
  return token ? *token : Bytes{};
}

MigrationErrc code_of(const MResult<TokenClaims>& r) {
  EXPECT_FALSE(r);
  return r ? MigrationErrc::kCrypto : r.error().code;
}

class TokenTest : public ::testing::Test {
 protected:
  Keyring ring_ = keyring_of({fixed_key("k1", 1)});
  TokenVerifier verifier_{ring_};
};

TEST_F(TokenTest, ValidTokenVerifiesAndCarriesItsClaims) {
  const Bytes token = issue(ring_);
  // Layout: "CT" 2, key id, connection id, then fixed fields (with the snapshot digest)
  // and a 32-byte MAC.
  EXPECT_EQ(token.size(), 141U + 2 + 9);
  EXPECT_EQ(token[0], 'C');
  EXPECT_EQ(token[1], 'T');
  EXPECT_EQ(token[2], 2);
  auto claims = verifier_.verify(token, "conn-1234", kNow);
  ASSERT_TRUE(claims) << claims.error().message();
  EXPECT_EQ(claims->key_id, "k1");
  EXPECT_EQ(claims->connection_id, "conn-1234");
  EXPECT_EQ(claims->stream_id, 7U);
  EXPECT_EQ(claims->request_digest, digest_of(0xab));
  EXPECT_EQ(claims->issued_at, kNow);
  EXPECT_EQ(claims->expires_at, kNow + kTtl);
  // verify() does not consume; redeem() does, once.
  EXPECT_TRUE(verifier_.verify(token, "conn-1234", kNow + 1));
  EXPECT_TRUE(verifier_.redeem(token, "conn-1234", kNow + kTtl - 1));
  EXPECT_EQ(verifier_.replay_entries(), 1U);
}

TEST_F(TokenTest, TwoTokensForTheSameStreamDiffer) {
  auto a = issue_token(ring_, subject(), kNow, kTtl);  // real randomness: fresh nonces
  auto b = issue_token(ring_, subject(), kNow, kTtl);
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);
  EXPECT_TRUE(verifier_.redeem(*a, "conn-1234", kNow));
  EXPECT_TRUE(verifier_.redeem(*b, "conn-1234", kNow));
}

TEST_F(TokenTest, ReplayedTokenIsRefused) {
  const Bytes token = issue(ring_);
  ASSERT_TRUE(verifier_.redeem(token, "conn-1234", kNow));
  EXPECT_EQ(code_of(verifier_.verify(token, "conn-1234", kNow + 1)), MigrationErrc::kReplayed);
  EXPECT_EQ(code_of(verifier_.redeem(token, "conn-1234", kNow + 1)), MigrationErrc::kReplayed);
}

TEST_F(TokenTest, ExpiredAndFutureTokensAreRefused) {
  const Bytes token = issue(ring_);
  EXPECT_TRUE(verifier_.verify(token, "conn-1234", kNow + kTtl - 1));
  auto r = verifier_.verify(token, "conn-1234", kNow + kTtl);
  EXPECT_EQ(code_of(r), MigrationErrc::kExpired);
  EXPECT_NE(r.error().detail.find("expired 0 s ago"), std::string::npos);
  EXPECT_EQ(code_of(verifier_.redeem(token, "conn-1234", kNow + 10 * kTtl)),
            MigrationErrc::kExpired);
  // Issued by a director whose clock runs ahead: fine within the skew, refused beyond.
  EXPECT_TRUE(verifier_.verify(token, "conn-1234", kNow - 30));
  EXPECT_EQ(code_of(verifier_.verify(token, "conn-1234", kNow - 31)), MigrationErrc::kNotYetValid);
}

TEST_F(TokenTest, WrongConnectionIsRefused) {
  const Bytes token = issue(ring_);
  EXPECT_EQ(code_of(verifier_.verify(token, "conn-1235", kNow)), MigrationErrc::kWrongConnection);
  EXPECT_EQ(code_of(verifier_.verify(token, "", kNow)), MigrationErrc::kWrongConnection);
  EXPECT_EQ(verifier_.replay_entries(), 0U);
}

TEST_F(TokenTest, ForgedTokenIsRefused) {
  // Same key id, another secret: an attacker who guesses the format but not the key.
  const Keyring forger = keyring_of({fixed_key("k1", 99)});
  const Bytes token = issue(forger);
  auto r = verifier_.verify(token, "conn-1234", kNow);
  EXPECT_EQ(code_of(r), MigrationErrc::kBadSignature);
  EXPECT_NE(r.error().detail.find("forged or altered"), std::string::npos);
}

TEST_F(TokenTest, WrongKeyIdIsRefused) {
  // Signed with k1, relabelled as k2 (which the verifier holds): the MAC covers the id.
  const Keyring both = keyring_of({fixed_key("k2", 2), fixed_key("k1", 1)});
  Bytes token = issue(ring_);
  ASSERT_EQ(token[4], 'k');
  ASSERT_EQ(token[5], '1');
  token[5] = '2';
  TokenVerifier verifier(both);
  EXPECT_EQ(code_of(verifier.verify(token, "conn-1234", kNow)), MigrationErrc::kBadSignature);
}

TEST_F(TokenTest, UnknownKeyIdIsRefused) {
  const Bytes token = issue(keyring_of({fixed_key("k9", 9)}));
  auto r = verifier_.verify(token, "conn-1234", kNow);
  EXPECT_EQ(code_of(r), MigrationErrc::kUnknownKey);
  EXPECT_NE(r.error().detail.find("'k9'"), std::string::npos);
}

TEST_F(TokenTest, EveryFlippedBitIsDetected) {
  const Bytes token = issue(ring_);
  for (std::size_t i = 0; i < token.size(); ++i) {
    for (int mask : {0x01, 0x80, 0xff}) {
      Bytes t = token;
      t[i] = static_cast<std::uint8_t>(t[i] ^ mask);
      auto r = verifier_.verify(t, "conn-1234", kNow);
      ASSERT_FALSE(r) << "byte " << i << " mask " << mask;
      const MigrationErrc c = r.error().code;
      // Each byte is covered by the MAC; a flip changes the layout, the key id, or the MAC.
      EXPECT_TRUE(c == MigrationErrc::kBadSignature || c == MigrationErrc::kMalformed ||
                  c == MigrationErrc::kUnknownKey || c == MigrationErrc::kUnsupportedVersion)
          << "byte " << i << ": " << r.error().message();
      if (i >= 7) {  // past magic, version, lengths and key id: signed fields and the MAC
        EXPECT_EQ(c, MigrationErrc::kBadSignature) << "byte " << i;
      }
    }
  }
}

TEST_F(TokenTest, TruncatedAndExtendedTokensAreMalformed) {
  const Bytes token = issue(ring_);
  for (std::size_t n = 0; n < token.size(); ++n) {
    auto r = verifier_.verify(ByteSpan(token).first(n), "conn-1234", kNow);
    ASSERT_FALSE(r) << n;
    EXPECT_EQ(r.error().code, MigrationErrc::kMalformed) << n << ": " << r.error().message();
  }
  Bytes longer = token;
  longer.push_back(0);
  EXPECT_EQ(code_of(verifier_.verify(longer, "conn-1234", kNow)), MigrationErrc::kMalformed);
  EXPECT_EQ(code_of(verifier_.verify(Bytes(kMaxTokenSize + 1, 'C'), "conn-1234", kNow)),
            MigrationErrc::kMalformed);
  // Version 1 tokens did not bind their snapshot (issue 14 item 7): refused.
  Bytes v1 = token;
  v1[2] = 1;
  auto r = verifier_.verify(v1, "conn-1234", kNow);
  EXPECT_EQ(code_of(r), MigrationErrc::kUnsupportedVersion);
  EXPECT_NE(r.error().detail.find("version 1"), std::string::npos);
}

TEST_F(TokenTest, RotatedKeysStillVerifyOldTokens) {
  const Bytes old_token = issue(ring_);
  // The key file gains a new first key; k1 stays for verification.
  verifier_.set_keyring(keyring_of({fixed_key("k2", 2), fixed_key("k1", 1)}));
  EXPECT_TRUE(verifier_.verify(old_token, "conn-1234", kNow));
  const Bytes new_token = issue(verifier_.keyring(), kNow, 2);
  auto claims = verifier_.verify(new_token, "conn-1234", kNow);
  ASSERT_TRUE(claims);
  EXPECT_EQ(claims->key_id, "k2");
  // Redeemed nonces survive the reload.
  ASSERT_TRUE(verifier_.redeem(old_token, "conn-1234", kNow));
  verifier_.set_keyring(keyring_of({fixed_key("k2", 2), fixed_key("k1", 1)}));
  EXPECT_EQ(code_of(verifier_.verify(old_token, "conn-1234", kNow)), MigrationErrc::kReplayed);
  // Once k1 is retired its tokens are unknown.
  verifier_.set_keyring(keyring_of({fixed_key("k2", 2)}));
  EXPECT_EQ(code_of(verifier_.verify(issue(ring_, kNow, 3), "conn-1234", kNow)),
            MigrationErrc::kUnknownKey);
}

// Three connection ids with one token each: nothing can be evicted, so a full cache refuses
// (fail closed) until entries expire.
TEST(TokenReplayCache, FullCacheRefusesAndEntriesExpire) {
  const Keyring ring = keyring_of({fixed_key("k1", 1)});
  TokenVerifier verifier(ring, TokenPolicy{.max_clock_skew = 5, .replay = {.capacity = 2}});
  auto issue_for = [&](const std::string& id, UnixSeconds now, std::uint64_t seed) {
    auto token = issue_token(
        ring, TokenSubject{id, 7, digest_of(0xab)}, now, kTtl, testing::seeded_random(seed));
    EXPECT_TRUE(token);
    return token ? *token : Bytes{};
  };
  ASSERT_TRUE(verifier.redeem(issue_for("conn-a", kNow, 1), "conn-a", kNow));
  ASSERT_TRUE(verifier.redeem(issue_for("conn-b", kNow, 2), "conn-b", kNow));
  const Bytes third = issue_for("conn-c", kNow, 3);
  auto r = verifier.redeem(third, "conn-c", kNow);
  EXPECT_EQ(code_of(r), MigrationErrc::kReplayCacheFull);
  // Refused, not consumed: it works once room frees up. Entries live to expiry + skew.
  const Bytes later = issue_for("conn-c", kNow + kTtl, 4);
  EXPECT_EQ(code_of(verifier.redeem(later, "conn-c", kNow + kTtl + 4)),
            MigrationErrc::kReplayCacheFull);
  EXPECT_TRUE(verifier.redeem(later, "conn-c", kNow + kTtl + 5));
  EXPECT_EQ(verifier.replay_entries(), 1U);
  EXPECT_EQ(verifier.replay_stats().refused_full, 2U);
}

TEST(TokenIssue, RefusesBadArguments) {
  const Keyring ring = keyring_of({fixed_key("k1", 1)});
  TokenSubject s = subject();
  EXPECT_EQ(issue_token(ring, s, kNow, 0).error().code, MigrationErrc::kInvalidArgument);
  EXPECT_EQ(issue_token(ring, s, ~UnixSeconds{0}, 1).error().code, MigrationErrc::kInvalidArgument);
  s.connection_id = "";
  EXPECT_EQ(issue_token(ring, s, kNow, kTtl).error().code, MigrationErrc::kInvalidArgument);
  s.connection_id = std::string(256, 'c');
  EXPECT_EQ(issue_token(ring, s, kNow, kTtl).error().code, MigrationErrc::kInvalidArgument);
  s.connection_id = "has space";
  EXPECT_EQ(issue_token(ring, s, kNow, kTtl).error().code, MigrationErrc::kInvalidArgument);
  s.connection_id = std::string(255, 'c');
  EXPECT_TRUE(issue_token(ring, s, kNow, kTtl));
}

TEST(TokenDecode, UnverifiedDecodeReadsTheFields) {
  const Keyring ring = keyring_of({fixed_key("k1", 1)});
  const Bytes token = issue(ring);
  auto claims = decode_token_unverified(token);
  ASSERT_TRUE(claims);
  EXPECT_EQ(claims->stream_id, 7U);
  EXPECT_EQ(claims->expires_at, kNow + kTtl);
  EXPECT_EQ(decode_token_unverified(Bytes{'C', 'T'}).error().code, MigrationErrc::kMalformed);
  EXPECT_EQ(decode_token_unverified(Bytes{'x'}).error().code, MigrationErrc::kMalformed);
}

}  // namespace
}  // namespace connswap::migration
