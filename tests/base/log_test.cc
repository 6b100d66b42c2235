#include "base/log.h"

#include <gtest/gtest.h>

namespace connswap::log {
namespace {

TEST(Log, ParsesLevelNames) {
  EXPECT_EQ(parse_level("debug"), spdlog::level::debug);
  EXPECT_EQ(parse_level("warn"), spdlog::level::warn);
  EXPECT_EQ(parse_level("info,connswap=trace"), spdlog::level::trace);
  EXPECT_FALSE(parse_level("loud").has_value());
}

TEST(Log, SetLevelAppliesToExistingAndNewLoggers) {
  auto& before = get("test_before");
  ASSERT_TRUE(set_level("error"));
  EXPECT_EQ(before.level(), spdlog::level::err);
  EXPECT_EQ(get("test_after").level(), spdlog::level::err);
  EXPECT_FALSE(set_level("nonsense"));
  ASSERT_TRUE(set_level("info"));
}

}  // namespace
}  // namespace connswap::log
