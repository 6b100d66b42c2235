#include "base/address.h"

#include <gtest/gtest.h>

namespace connswap {
namespace {

TEST(Address, ParsesIpv4AndIpv6) {
  auto v4 = Address::parse("127.0.0.1:61000");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->port(), 61000);
  EXPECT_EQ(v4->to_string(), "127.0.0.1:61000");
  auto v6 = Address::parse("[::1]:0");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->to_string(), "[::1]:0");
  auto local = Address::parse("localhost:5");
  ASSERT_TRUE(local);
  EXPECT_EQ(*local, Address::loopback_v4(5));
}

TEST(Address, RejectsGarbage) {
  for (const char* bad : {"",
                          "127.0.0.1",
                          "127.0.0.1:",
                          "127.0.0.1:70000",
                          "host:1",
                          "[::1]",
                          "[::1:5",
                          "1.2.3.4:5x"}) {
    EXPECT_FALSE(Address::parse(bad)) << bad;
  }
}

}  // namespace
}  // namespace connswap
