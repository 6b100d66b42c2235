#include "migration/keys.h"

#include <array>
#include <cstdio>
#include <string>

#include <gtest/gtest.h>

#include "migration/test_keys.h"  // tests/migration

namespace connswap::migration {
namespace {

using testing::fixed_key;

constexpr std::string_view kKey1 =
    "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20";
constexpr std::string_view kKey2 =
    "A0A1A2A3A4A5A6A7A8A9AAABACADAEAFB0B1B2B3B4B5B6B7B8B9BABBBCBDBEBF";

std::string line(std::string_view id, std::string_view hex) {
  return std::string(id) + " " + std::string(hex) + "\n";
}

TEST(KeyFile, ParsesKeysNewestFirst) {
  const std::string text = "# cluster keys\n\n" + line("k2", kKey2) + "  \t# old key below\r\n" +
                           "\tk1   " + std::string(kKey1) + "  \r\n";
  auto keys = parse_key_file(text);
  ASSERT_TRUE(keys) << keys.error().message();
  ASSERT_EQ(keys->size(), 2U);
  EXPECT_EQ((*keys)[0].id, "k2");
  EXPECT_EQ(to_hex((*keys)[0].secret.bytes()),
            "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf");
  EXPECT_EQ((*keys)[1].id, "k1");
  EXPECT_EQ(to_hex((*keys)[1].secret.bytes()), kKey1);

  auto ring = Keyring::create(*keys);
  ASSERT_TRUE(ring);
  EXPECT_EQ(ring->current().id, "k2");
  EXPECT_EQ(ring->ids(), (std::vector<std::string>{"k2", "k1"}));
  EXPECT_NE(ring->find("k1"), nullptr);
  EXPECT_EQ(ring->find("k3"), nullptr);
}

struct BadCase {
  const char* name;
  std::string text;
  std::string message;  // substring of the error detail
};

TEST(KeyFile, ErrorsNameTheLineAndNeverTheKey) {
  const std::string k1 = line("k1", kKey1);
  const auto cases = std::to_array<BadCase>({
      {"empty", "", "no keys"},
      {"only comments", "# nothing\n\n", "no keys"},
      {"one field", "k1\n", "line 1: expected '<key-id> <64 hex digits>'"},
      {"three fields", "k1 " + std::string(kKey1) + " extra\n", "line 1: expected"},
      {"short key",
       "# c\nk1 " + std::string(kKey1.substr(1)) + "\n",
       "line 2: key must be 64 hex digits (32 bytes), got 63 characters"},
      {"long key", "k1 " + std::string(kKey1) + "00\n", "got 66 characters"},
      {"not hex", "k1 " + std::string(kKey1.substr(0, 63)) + "g\n", "not a hex digit"},
      {"bad id", "k/1 " + std::string(kKey1) + "\n", "line 1: invalid key id"},
      {"long id", std::string(33, 'k') + " " + std::string(kKey1) + "\n", "invalid key id"},
      {"zero key", "k0 " + std::string(64, '0') + "\n", "all zeros"},
      {"duplicate", k1 + "\n" + k1, "line 3: duplicate key id 'k1' (first on line 1)"},
      {"nul byte", std::string("k1\0", 3) + std::string(kKey1) + "\n", "line 1"},
      {"too large", std::string(kMaxKeyFileSize + 1, '#'), "larger than 1 MiB"},
  });
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto keys = parse_key_file(c.text);
    ASSERT_FALSE(keys);
    EXPECT_EQ(keys.error().code, MigrationErrc::kBadKeyFile);
    EXPECT_NE(keys.error().detail.find(c.message), std::string::npos) << keys.error().detail;
    EXPECT_EQ(keys.error().detail.find(kKey1.substr(0, 16)), std::string::npos);
    EXPECT_FALSE(load_keyring(c.text));
  }
}

TEST(KeyFile, TooManyKeys) {
  std::string text;
  for (std::size_t i = 0; i <= kMaxKeys; ++i) {
    text += line("k" + std::to_string(i), kKey1);
  }
  auto keys = parse_key_file(text);
  ASSERT_FALSE(keys);
  EXPECT_NE(keys.error().detail.find("more than 64 keys"), std::string::npos);
}

TEST(KeyFile, GenerateFormatParseRoundTrip) {
  auto a = generate_cluster_key("2024-06.a");
  auto b = generate_cluster_key("k_b");
  ASSERT_TRUE(a && b);
  EXPECT_NE(to_hex(a->secret.bytes()), to_hex(b->secret.bytes()));
  const std::vector<ClusterKey> keys = {*a, *b};
  const std::string text = format_key_file(keys);
  EXPECT_EQ(text.front(), '#');
  auto parsed = parse_key_file(text);
  ASSERT_TRUE(parsed) << parsed.error().message();
  ASSERT_EQ(parsed->size(), 2U);
  EXPECT_EQ((*parsed)[0].id, "2024-06.a");
  EXPECT_EQ(to_hex((*parsed)[0].secret.bytes()), to_hex(a->secret.bytes()));
  EXPECT_EQ(to_hex((*parsed)[1].secret.bytes()), to_hex(b->secret.bytes()));

  auto bad = generate_cluster_key("no spaces");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, MigrationErrc::kInvalidArgument);
}

TEST(Keyring, DerivesSeparateKeysWithHkdf) {
  // Known answer: HKDF-SHA256(salt "connswap/v1 cluster key", key 01..20), computed with
  // Python's hmac module; fixes the derivation documented in PROTOCOL.md §8.1.
  Keyring ring = testing::keyring_of({fixed_key("k1", 1)});
  EXPECT_EQ(to_hex(ring.current().token_mac.bytes()),
            "5b89d10cb3760df69e405c0f4f3801bbab89d69c42d27e154cb79dd5d80d5f34");
  EXPECT_EQ(to_hex(ring.current().snapshot_aead.bytes()),
            "34cba5d9bd83a923810abf24ac5567b10b98a18d6c19a3bf9be2428f25f003b5");
}

TEST(Keyring, RefusesBadKeySets) {
  EXPECT_EQ(Keyring::create({}).error().code, MigrationErrc::kBadKeyFile);
  const std::vector<ClusterKey> dup = {fixed_key("k1", 1), fixed_key("k1", 2)};
  EXPECT_EQ(Keyring::create(dup).error().code, MigrationErrc::kBadKeyFile);
  const std::vector<ClusterKey> bad_id = {fixed_key("", 1)};
  EXPECT_EQ(Keyring::create(bad_id).error().code, MigrationErrc::kBadKeyFile);
}

TEST(Keyring, KeyIds) {
  EXPECT_TRUE(valid_key_id("a"));
  EXPECT_TRUE(valid_key_id("K-2024.06_01"));
  EXPECT_TRUE(valid_key_id(std::string(32, 'x')));
  EXPECT_FALSE(valid_key_id(""));
  EXPECT_FALSE(valid_key_id(std::string(33, 'x')));
  EXPECT_FALSE(valid_key_id("a b"));
  EXPECT_FALSE(valid_key_id("é"));
}

// Issue 14 item 9: a key file others can read is warned about, naming the file and mode.
TEST(KeyFile, ModeWarning) {
  EXPECT_EQ(key_file_mode_warning("/k", 0100600), "");
  EXPECT_EQ(key_file_mode_warning("/k", 0100400), "");
  for (std::uint32_t mode : {0100644U, 0100640U, 0100604U, 0100660U, 0100610U}) {
    const std::string w = key_file_mode_warning("/etc/connswap/cluster.keys", mode);
    EXPECT_NE(w.find("/etc/connswap/cluster.keys"), std::string::npos) << w;
    char octal[8];
    std::snprintf(octal, sizeof octal, "%04o", mode & 07777U);
    EXPECT_NE(w.find(std::string("mode ") + octal), std::string::npos) << w;
    EXPECT_NE(w.find("chmod 600"), std::string::npos) << w;
  }
}

}  // namespace
}  // namespace connswap::migration
