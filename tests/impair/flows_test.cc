#include "impair/flows.h"

#include <gtest/gtest.h>

namespace connswap::impair {
namespace {

TEST(Flows, OneFlowPerClientAddress) {
  Flows flows(10 * kSecond);
  auto a = flows.on_client("127.0.0.1:1000", 0);
  auto b = flows.on_client("127.0.0.1:1001", 0);
  auto a2 = flows.on_client("127.0.0.1:1000", 1);
  EXPECT_TRUE(a.created);
  EXPECT_TRUE(b.created);
  EXPECT_FALSE(a2.created);
  EXPECT_EQ(a.id, a2.id);
  EXPECT_NE(a.id, b.id);
  EXPECT_EQ(flows.client_of(b.id), "127.0.0.1:1001");
  EXPECT_EQ(flows.size(), 2U);
}

TEST(Flows, IdleFlowsExpireAnswersKeepThemAlive) {
  Flows flows(10 * kSecond);
  auto a = flows.on_client("a:1", kSecond);
  auto b = flows.on_client("b:1", kSecond);
  EXPECT_TRUE(flows.touch(b.id, 8 * kSecond));  // the target answered b
  EXPECT_TRUE(flows.expire(11 * kSecond).empty());
  EXPECT_EQ(flows.expire(11 * kSecond + 1), std::vector<std::uint64_t>{a.id});
  EXPECT_FALSE(flows.client_of(a.id));
  EXPECT_FALSE(flows.touch(a.id, 12 * kSecond));
  auto again = flows.on_client("a:1", 12 * kSecond);  // a new mapping, a new socket
  EXPECT_TRUE(again.created);
  EXPECT_NE(again.id, a.id);
}

TEST(Flows, RemovedFlowIsCreatedAgain) {
  Flows flows(10 * kSecond);
  auto a = flows.on_client("a:1", 0);
  flows.remove(a.id);
  flows.remove(a.id);  // unknown: no-op
  EXPECT_EQ(flows.size(), 0U);
  EXPECT_TRUE(flows.on_client("a:1", 1).created);
}

}  // namespace
}  // namespace connswap::impair
