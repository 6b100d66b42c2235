#include "base/expected.h"

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "base/error.h"

namespace connswap {
namespace {

Result<int> parse_positive(int v) {
  if (v <= 0) {
    return make_error(Errc::kInvalidArgument, "not positive");
  }
  return v;
}

Result<void> twice_positive(int v) {
  CONNSWAP_TRY(parse_positive(v));
  CONNSWAP_TRY(parse_positive(v * 2));
  return {};
}

TEST(Expected, HoldsValue) {
  auto r = parse_positive(3);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 3);
  EXPECT_EQ(r.value_or(7), 3);
}

TEST(Expected, HoldsError) {
  auto r = parse_positive(-1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
  EXPECT_EQ(r.error().message(), "invalid_argument: not positive");
  EXPECT_EQ(r.value_or(7), 7);
}

TEST(Expected, MoveOnlyValue) {
  Expected<std::unique_ptr<int>, Error> r(std::make_unique<int>(5));
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 5);
}

TEST(Expected, TryPropagatesFirstError) {
  EXPECT_TRUE(twice_positive(1));
  auto r = twice_positive(0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().detail, "not positive");
}

}  // namespace
}  // namespace connswap
