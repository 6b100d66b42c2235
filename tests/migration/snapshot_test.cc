#include "migration/snapshot.h"

#include <algorithm>

#include <gtest/gtest.h>

#include "migration/test_keys.h"  // tests/migration

namespace connswap::migration {
namespace {

using testing::fixed_key;
using testing::keyring_of;

StreamSnapshot sample() {
  StreamSnapshot s;
  s.connection_id = "conn-42";
  s.stream_id = 9;
  s.request.prompt = "tell me a story about ünïcödé";
  s.request.max_tokens = 500;
  s.request.start_seq = 1;
  s.request.params = {{"temperature", "0.7"}, {"model", "demo"}};
  s.next_seq = 121;
  for (int i = 0; i < 20; ++i) {
    s.window.push_back("tok-" + std::to_string(101 + i));
  }
  s.migrations = 2;
  s.created_at = 1'700'000'123;
  return s;
}

void expect_equal(const StreamSnapshot& a, const StreamSnapshot& b) {
  EXPECT_EQ(a.connection_id, b.connection_id);
  EXPECT_EQ(a.stream_id, b.stream_id);
  EXPECT_EQ(a.request.prompt, b.request.prompt);
  EXPECT_EQ(a.request.max_tokens, b.request.max_tokens);
  EXPECT_EQ(a.request.start_seq, b.request.start_seq);
  EXPECT_EQ(a.request.params, b.request.params);
  EXPECT_EQ(a.next_seq, b.next_seq);
  EXPECT_EQ(a.window, b.window);
  EXPECT_EQ(a.migrations, b.migrations);
  EXPECT_EQ(a.created_at, b.created_at);
}

class SnapshotTest : public ::testing::Test {
 protected:
  Bytes seal(const StreamSnapshot& s = sample()) {
    auto sealed = seal_snapshot(ring_, s, testing::seeded_random(7));
    EXPECT_TRUE(sealed) << sealed.error().message();
    return sealed ? *sealed : Bytes{};
  }
  MigrationErrc open_error(ByteSpan sealed, std::string_view conn = "conn-42") {
    auto r = open_snapshot(ring_, sealed, conn);
    EXPECT_FALSE(r);
    return r ? MigrationErrc::kCrypto : r.error().code;
  }

  Keyring ring_ = keyring_of({fixed_key("k1", 1)});
  // Layout: "CS" 2 | key id len | "k1" | 16-byte subkey salt | 12-byte nonce | ciphertext |
  // 16-byte tag.
  static constexpr std::size_t kHeader = 3 + 1 + 2 + kSnapshotSaltSize;
  static constexpr std::size_t kNonceEnd = kHeader + 12;
};

TEST_F(SnapshotTest, RoundTrip) {
  const Bytes sealed = seal();
  EXPECT_EQ(sealed[0], 'C');
  EXPECT_EQ(sealed[1], 'S');
  EXPECT_EQ(sealed[2], 2);
  auto opened = open_snapshot(ring_, sealed, "conn-42");
  ASSERT_TRUE(opened) << opened.error().message();
  expect_equal(*opened, sample());
  // The plaintext is not visible in the sealed bytes.
  const std::string_view text = as_string(sealed);
  EXPECT_EQ(text.find("tell me"), std::string_view::npos);
  EXPECT_EQ(text.find("tok-101"), std::string_view::npos);
}

TEST_F(SnapshotTest, FreshNonceEachSeal) {
  auto a = seal_snapshot(ring_, sample());
  auto b = seal_snapshot(ring_, sample());
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);
  EXPECT_FALSE(std::equal(a->begin() + kHeader, a->begin() + kNonceEnd, b->begin() + kHeader));
  EXPECT_TRUE(open_snapshot(ring_, *a, "conn-42"));
  EXPECT_TRUE(open_snapshot(ring_, *b, "conn-42"));
}

// Issue 14 item 8: with one long-lived key and random 96-bit nonces, two seals that draw
// the same nonce reuse the GCM keystream (and leak the authentication key); at benchmark
// rates the cluster reached the 2^32-seal bound in about a day. Now each seal derives its
// own key from a random salt: forced to the same nonce, two seals of the same snapshot
// still differ, and each opens on another director holding the same cluster key.
TEST_F(SnapshotTest, ACollidingNonceDoesNotReuseAKeystream) {
  auto salts = testing::seeded_random(11);
  const RandomFn same_nonce = [salts](MutableByteSpan out) {
    if (out.size() == kSnapshotSaltSize) {
      salts(out);
    } else {
      std::fill(out.begin(), out.end(), std::uint8_t{0});  // every nonce the same
    }
  };
  auto a = seal_snapshot(ring_, sample(), same_nonce);
  auto b = seal_snapshot(ring_, sample(), same_nonce);
  ASSERT_TRUE(a && b);
  ASSERT_EQ(a->size(), b->size());
  EXPECT_TRUE(std::equal(a->begin() + kHeader, a->begin() + kNonceEnd, b->begin() + kHeader));
  // The ciphertext without its tag (the tag also covers the header, so it differs anyway).
  const auto body_end = static_cast<std::ptrdiff_t>(a->size() - 16);
  EXPECT_FALSE(std::equal(a->begin() + kNonceEnd, a->begin() + body_end, b->begin() + kNonceEnd))
      << "same key and nonce: the keystream is reused";
  const Keyring elsewhere = keyring_of({fixed_key("k1", 1)});  // another director
  EXPECT_TRUE(open_snapshot(elsewhere, *a, "conn-42"));
  EXPECT_TRUE(open_snapshot(elsewhere, *b, "conn-42"));
}

TEST_F(SnapshotTest, EmptyWindowAndDefaults) {
  StreamSnapshot s;
  s.connection_id = "c";
  auto opened = open_snapshot(ring_, seal(s), "c");
  ASSERT_TRUE(opened) << opened.error().message();
  expect_equal(*opened, s);
}

TEST_F(SnapshotTest, TamperedCiphertextTagAndNonceAreDetected) {
  const Bytes sealed = seal();
  ASSERT_GT(sealed.size(), kNonceEnd + 16);
  for (std::size_t i = kHeader; i < sealed.size(); ++i) {
    Bytes t = sealed;
    t[i] ^= 0x01;
    EXPECT_EQ(open_error(t), MigrationErrc::kDecryptFailed) << "byte " << i
                                                            << (i < kNonceEnd ? " (nonce)"
                                                                : i >= sealed.size() - 16 ? " (tag)"
                                                                                          : "");
  }
}

TEST_F(SnapshotTest, TamperedHeaderIsDetected) {
  const Bytes sealed = seal();
  for (std::size_t i = 0; i < kHeader; ++i) {
    Bytes t = sealed;
    t[i] ^= 0x01;
    const MigrationErrc c = open_error(t);
    EXPECT_TRUE(c == MigrationErrc::kMalformed || c == MigrationErrc::kUnsupportedVersion ||
                c == MigrationErrc::kUnknownKey || c == MigrationErrc::kDecryptFailed)
        << "byte " << i;
  }
  // A header relabelled to another key the opener holds fails authentication (AAD).
  const Keyring both = keyring_of({fixed_key("k1", 1), fixed_key("k2", 1)});
  Bytes relabelled = sealed;
  relabelled[5] = '2';
  auto r = open_snapshot(both, relabelled, "conn-42");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, MigrationErrc::kDecryptFailed);
}

TEST_F(SnapshotTest, AssociatedDataMismatchIsDetected) {
  const Bytes sealed = seal();
  EXPECT_EQ(open_error(sealed, "conn-43"), MigrationErrc::kDecryptFailed);
  EXPECT_EQ(open_error(sealed, ""), MigrationErrc::kDecryptFailed);
  EXPECT_EQ(open_error(sealed, "conn-42 "), MigrationErrc::kDecryptFailed);
}

TEST_F(SnapshotTest, WrongKeyIsDetected) {
  const Bytes sealed = seal();
  const Keyring other = keyring_of({fixed_key("k1", 2)});  // same id, another secret
  auto r = open_snapshot(other, sealed, "conn-42");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, MigrationErrc::kDecryptFailed);
  const Keyring unknown = keyring_of({fixed_key("k2", 1)});
  r = open_snapshot(unknown, sealed, "conn-42");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, MigrationErrc::kUnknownKey);
}

TEST_F(SnapshotTest, SnapshotKeyIsNotTheTokenKey) {
  // A snapshot sealed under the token MAC key would not open: keys are per purpose. Checked
  // indirectly: the derived keys differ.
  EXPECT_NE(to_hex(ring_.current().token_mac.bytes()),
            to_hex(ring_.current().snapshot_aead.bytes()));
}

TEST_F(SnapshotTest, RotatedKeyringOpensOldSnapshots) {
  const Bytes old_sealed = seal();
  const Keyring rotated = keyring_of({fixed_key("k2", 2), fixed_key("k1", 1)});
  EXPECT_TRUE(open_snapshot(rotated, old_sealed, "conn-42"));
  auto fresh = seal_snapshot(rotated, sample());
  ASSERT_TRUE(fresh);
  EXPECT_EQ((*fresh)[4], 'k');
  EXPECT_EQ((*fresh)[5], '2');
  EXPECT_FALSE(open_snapshot(ring_, *fresh, "conn-42"));  // k2 unknown to the old ring
}

TEST_F(SnapshotTest, TruncatedAndOversizedAreMalformed) {
  const Bytes sealed = seal();
  for (std::size_t n = 0; n < kNonceEnd + 16; ++n) {
    auto r = open_snapshot(ring_, ByteSpan(sealed).first(n), "conn-42");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, MigrationErrc::kMalformed) << n;
  }
  // Cut inside the ciphertext: authentication fails.
  EXPECT_EQ(open_error(ByteSpan(sealed).first(sealed.size() - 1)), MigrationErrc::kDecryptFailed);
  EXPECT_EQ(open_error(Bytes(kMaxSealedSnapshotSize + 1, 'C')), MigrationErrc::kMalformed);
  Bytes v9 = sealed;
  v9[2] = 9;
  EXPECT_EQ(open_error(v9), MigrationErrc::kUnsupportedVersion);
}

TEST_F(SnapshotTest, SealRefusesBadSnapshots) {
  StreamSnapshot s = sample();
  s.connection_id = "";
  EXPECT_EQ(seal_snapshot(ring_, s).error().code, MigrationErrc::kInvalidArgument);
  s = sample();
  s.next_seq = 0;
  s.window.clear();
  EXPECT_EQ(seal_snapshot(ring_, s).error().code, MigrationErrc::kInvalidArgument);
  s = sample();
  s.next_seq = 5;  // 20 window tokens cannot precede seq 5
  EXPECT_EQ(seal_snapshot(ring_, s).error().code, MigrationErrc::kInvalidArgument);
}

TEST(RequestDigest, CanonicalAndSensitive) {
  GenerateRequest a;
  a.prompt = "p";
  a.max_tokens = 10;
  a.params = {{"b", "2"}, {"a", "1"}};
  GenerateRequest b;
  b.params["a"] = "1";  // inserted in another order
  b.params["b"] = "2";
  b.prompt = "p";
  b.max_tokens = 10;
  EXPECT_EQ(request_digest(a), request_digest(b));
  GenerateRequest zero = a;
  zero.start_seq = 0;  // 0 means 1
  EXPECT_EQ(request_digest(zero), request_digest(a));
  for (int field = 0; field < 4; ++field) {
    GenerateRequest c = a;
    switch (field) {
      case 0:
        c.prompt = "q";
        break;
      case 1:
        c.max_tokens = 11;
        break;
      case 2:
        c.start_seq = 2;
        break;
      default:
        c.params["a"] = "0";
    }
    EXPECT_NE(request_digest(c), request_digest(a)) << field;
  }
}

}  // namespace
}  // namespace connswap::migration
