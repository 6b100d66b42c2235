// The shared test vectors (tests/vectors/connswap-v1.txt, made from docs/PROTOCOL.md by
// make_vectors.py) against the C++ implementation: frames and varints (wire), envelopes,
// the synthetic generator (worker), key derivation and resume tokens (migration). The
// Python SDK's tests check the same file (tests/sdk/test_sdk_vectors.py).

#include <algorithm>
#include <array>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "migration/keys.h"
#include "migration/snapshot.h"
#include "migration/token.h"
#include "wire/envelope.h"
#include "wire/frame.h"
#include "wire/varint.h"
#include "worker/generator.h"

namespace connswap {
namespace {

using Fields = std::vector<std::string>;

// Every vector line of `kind` (its fields after the kind).
std::vector<Fields> vectors(const std::string& kind) {
  std::ifstream in(CONNSWAP_VECTORS_FILE);
  EXPECT_TRUE(in) << CONNSWAP_VECTORS_FILE;
  std::vector<Fields> out;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string first;
    words >> first;
    if (first != kind) {
      continue;
    }
    Fields f;
    for (std::string w; words >> w;) {
      f.push_back(w);
    }
    out.push_back(std::move(f));
  }
  EXPECT_FALSE(out.empty()) << "no '" << kind << "' vectors";
  return out;
}

Bytes unhex(const std::string& hex) {
  Bytes out;
  if (hex == "-") {
    return out;
  }
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

std::string text_of(const std::string& hex) {
  const Bytes b = unhex(hex);
  return std::string(as_string(b));
}

std::string hex_or_dash(ByteSpan b) {
  return b.empty() ? "-" : to_hex(b);
}

TEST(SharedVectors, Varints) {
  for (const Fields& f : vectors("varint")) {
    Bytes out;
    wire::append_varint(out, std::stoull(f[0]));
    EXPECT_EQ(to_hex(out), f[1]);
  }
  for (const Fields& f : vectors("varint_decode")) {
    const Bytes in = unhex(f[0]);
    auto v = wire::decode_varint(in);
    ASSERT_TRUE(v) << f[0];
    EXPECT_EQ(v->value, std::stoull(f[1]));
    EXPECT_EQ(v->size, in.size());
  }
}

TEST(SharedVectors, Frames) {
  for (const Fields& f : vectors("frame")) {
    Bytes out;
    const Bytes body = unhex(f[1]);
    wire::append_frame(out, static_cast<wire::FrameKind>(std::stoi(f[0])), body);
    EXPECT_EQ(to_hex(out), f[2]);
    wire::FrameDecoder d;
    d.push(out);
    auto frame = d.next();
    ASSERT_TRUE(frame && *frame);
    EXPECT_EQ(hex_or_dash((*frame)->body), f[1]);
  }
}

TEST(SharedVectors, FrameLimitCountsTheBody) {
  for (const Fields& f : vectors("frame_limit")) {
    wire::FrameDecoder d(std::stoull(f[0]));
    Bytes head;
    wire::append_varint(head, std::stoull(f[1]));
    d.push(head);
    auto r = d.next();
    if (f[2] == "accept") {
      ASSERT_TRUE(r) << f[1];
      EXPECT_FALSE(*r);  // waiting for the body
    } else {
      ASSERT_FALSE(r) << f[1];
      EXPECT_EQ(r.error(), wire::FrameError::kOversized);
    }
  }
}

TEST(SharedVectors, Envelopes) {
  for (const Fields& f : vectors("header")) {
    wire::CallHeader h{.method = f[0], .timeout_ms = std::stoull(f[1]), .metadata = {}};
    if (f[2] != "-") {
      h.metadata["connection-id"] = f[2];
    }
    Bytes out;
    ASSERT_TRUE(wire::append_header_frame(out, h));
    EXPECT_EQ(to_hex(out), f[3]);
  }
  for (const Fields& f : vectors("trailer")) {
    Bytes out;
    wire::append_trailer_frame(
        out, {.code = static_cast<std::uint32_t>(std::stoul(f[0])), .message = text_of(f[1])});
    EXPECT_EQ(to_hex(out), f[2]);
  }
}

TEST(SharedVectors, SyntheticGenerator) {
  for (const Fields& f : vectors("token")) {
    const std::string prompt = text_of(f[0]);
    const std::uint64_t seq = std::stoull(f[1]);
    EXPECT_EQ(worker::demo_hash(prompt, seq), std::stoull(f[2], nullptr, 16)) << f[0];
    EXPECT_EQ(worker::demo_token(prompt, seq), text_of(f[3])) << f[0] << " " << seq;
  }
}

migration::ClusterKey key_of(const std::string& id, const std::string& hex) {
  const Bytes b = unhex(hex);
  std::array<std::uint8_t, migration::kClusterKeySize> bytes{};
  std::copy_n(b.begin(), bytes.size(), bytes.begin());
  return {id, migration::SecretKey(bytes)};
}

TEST(SharedVectors, KeyDerivation) {
  for (const Fields& f : vectors("hkdf")) {
    const std::vector<migration::ClusterKey> keys = {key_of("k", f[0])};
    auto ring = migration::Keyring::create(keys);
    ASSERT_TRUE(ring);
    EXPECT_EQ(to_hex(ring->current().token_mac.bytes()), f[1]);
    EXPECT_EQ(to_hex(ring->current().snapshot_aead.bytes()), f[2]);
  }
}

// The token the spec's layout gives (made in Python by make_vectors.py) is the one
// issue_token makes from the same fields and nonce, and it verifies.
TEST(SharedVectors, ResumeTokens) {
  for (const Fields& f : vectors("resume_token")) {
    const std::vector<migration::ClusterKey> keys = {key_of(f[0], f[1])};
    auto ring = migration::Keyring::create(keys);
    ASSERT_TRUE(ring);
    migration::TokenSubject subject{.connection_id = f[2], .stream_id = std::stoull(f[3])};
    const Bytes req = unhex(f[4]);
    const Bytes snap = unhex(f[5]);
    std::copy_n(req.begin(), 32, subject.request_digest.begin());
    std::copy_n(snap.begin(), 32, subject.snapshot_digest.begin());
    const std::uint64_t issued = std::stoull(f[6]);
    const Bytes nonce = unhex(f[8]);
    auto token = migration::issue_token(
        *ring, subject, issued, std::stoull(f[7]) - issued, [&](MutableByteSpan out) {
          std::copy_n(nonce.begin(), out.size(), out.begin());
        });
    ASSERT_TRUE(token);
    EXPECT_EQ(to_hex(*token), f[9]);
    migration::TokenVerifier verifier(std::move(*ring));
    const Bytes given = unhex(f[9]);
    auto claims = verifier.verify(given, f[2], issued + 1);
    ASSERT_TRUE(claims);
    EXPECT_EQ(claims->stream_id, subject.stream_id);
    Bytes altered = given;
    altered[altered.size() / 2] ^= 0x01;
    EXPECT_FALSE(verifier.verify(altered, f[2], issued + 1));
  }
}

TEST(SharedVectors, RequestDigests) {
  for (const Fields& f : vectors("request_digest")) {
    GenerateRequest request{.prompt = text_of(f[0]),
                            .max_tokens = static_cast<std::uint32_t>(std::stoul(f[1])),
                            .start_seq = std::stoull(f[2])};
    EXPECT_EQ(to_hex(migration::request_digest(request)), f[3]) << f[0];
  }
}

std::vector<std::string> window_of(const std::string& field) {
  std::vector<std::string> out;
  if (field == "-") {
    return out;
  }
  std::istringstream parts(field);
  for (std::string hex; std::getline(parts, hex, ',');) {
    out.push_back(text_of(hex));
  }
  return out;
}

// The snapshot sealed from the spec (Python, `cryptography`'s AES-GCM) is byte for byte
// what seal_snapshot makes with the same salt and nonce, and it opens to the same fields.
TEST(SharedVectors, Snapshots) {
  for (const Fields& f : vectors("snapshot")) {
    const std::vector<migration::ClusterKey> keys = {key_of(f[0], f[1])};
    auto ring = migration::Keyring::create(keys);
    ASSERT_TRUE(ring);
    migration::StreamSnapshot snap{
        .connection_id = f[2],
        .stream_id = std::stoull(f[3]),
        .request = {.prompt = text_of(f[4]),
                    .max_tokens = static_cast<std::uint32_t>(std::stoul(f[5]))},
        .next_seq = std::stoull(f[6]),
        .window = window_of(f[7]),
        .migrations = static_cast<std::uint32_t>(std::stoul(f[8])),
        .created_at = std::stoull(f[9]),
        .failovers = static_cast<std::uint32_t>(std::stoul(f[10]))};
    const Bytes salt = unhex(f[11]);
    const Bytes nonce = unhex(f[12]);
    int calls = 0;
    auto sealed = migration::seal_snapshot(*ring, snap, [&](MutableByteSpan out) {
      const Bytes& from = calls++ == 0 ? salt : nonce;
      ASSERT_EQ(out.size(), from.size());
      std::copy(from.begin(), from.end(), out.begin());
    });
    ASSERT_TRUE(sealed);
    EXPECT_EQ(to_hex(*sealed), f[13]);
    auto opened = migration::open_snapshot(*ring, unhex(f[13]), f[2]);
    ASSERT_TRUE(opened);
    EXPECT_EQ(opened->stream_id, snap.stream_id);
    EXPECT_EQ(opened->request.prompt, snap.request.prompt);
    EXPECT_EQ(opened->next_seq, snap.next_seq);
    EXPECT_EQ(opened->window, snap.window);
    EXPECT_EQ(opened->failovers, snap.failovers);
    EXPECT_FALSE(migration::open_snapshot(*ring, unhex(f[13]), "conn-other"));
  }
}

}  // namespace
}  // namespace connswap
