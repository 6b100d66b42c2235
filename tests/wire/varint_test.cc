#include "wire/varint.h"

#include <array>
#include <string>

#include <gtest/gtest.h>

namespace connswap::wire {
namespace {

struct VarintCase {
  std::uint64_t value;
  Bytes encoded;  // minimal encoding
};

// RFC 9000 Appendix A.1 examples plus every length boundary.
const auto kVarintCases = std::to_array<VarintCase>({
    {0, {0x00}},
    {37, {0x25}},
    {63, {0x3f}},
    {64, {0x40, 0x40}},
    {15293, {0x7b, 0xbd}},
    {16383, {0x7f, 0xff}},
    {16384, {0x80, 0x00, 0x40, 0x00}},
    {494878333, {0x9d, 0x7f, 0x3e, 0x7d}},
    {(1u << 30) - 1, {0xbf, 0xff, 0xff, 0xff}},
    {1u << 30, {0xc0, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00}},
    {151288809941952652, {0xc2, 0x19, 0x7c, 0x5e, 0xff, 0x14, 0xe8, 0x8c}},
    {kMaxVarint, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
});

TEST(Varint, EncodesMinimally) {
  for (const auto& c : kVarintCases) {
    Bytes out;
    append_varint(out, c.value);
    EXPECT_EQ(out, c.encoded) << c.value;
    EXPECT_EQ(varint_size(c.value), c.encoded.size()) << c.value;
  }
}

TEST(Varint, DecodesAndNeedsEveryByte) {
  for (const auto& c : kVarintCases) {
    auto full = decode_varint(c.encoded);
    ASSERT_TRUE(full) << c.value;
    EXPECT_EQ(full->value, c.value);
    EXPECT_EQ(full->size, c.encoded.size());
    for (std::size_t n = 0; n < c.encoded.size(); ++n) {
      EXPECT_FALSE(decode_varint(ByteSpan(c.encoded).first(n))) << c.value << " prefix " << n;
    }
  }
}

TEST(Varint, AcceptsNonMinimalEncoding) {
  // RFC 9000 Appendix A.1: 0x4025 is 37 in two bytes.
  const Bytes two = {0x40, 0x25};
  auto v = decode_varint(two);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->value, 37u);
  EXPECT_EQ(v->size, 2u);
}

}  // namespace
}  // namespace connswap::wire
