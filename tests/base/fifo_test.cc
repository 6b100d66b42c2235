#include "base/fifo.h"

#include <deque>
#include <string>

#include <gtest/gtest.h>

namespace connswap {
namespace {

TEST(Fifo, BehavesLikeADeque) {
  Fifo<std::string> fifo;
  std::deque<std::string> model;
  EXPECT_TRUE(fifo.empty());
  std::uint32_t x = 12345;
  for (int i = 0; i < 5000; ++i) {
    x = x * 1103515245U + 12345U;  // fixed LCG: pushes and pops in a seeded pattern
    if ((x >> 16) % 3 != 0 || model.empty()) {
      const std::string s = std::to_string(i) + std::string(i % 40, 'x');
      fifo.push_back(s);
      model.push_back(s);
    } else {
      ASSERT_EQ(fifo.front(), model.front());
      fifo.pop_front();
      model.pop_front();
    }
    ASSERT_EQ(fifo.size(), model.size());
    ASSERT_EQ(fifo.empty(), model.empty());
    for (std::size_t j = 0; j < model.size(); j += 97) {
      ASSERT_EQ(fifo[j], model[j]);
    }
  }
}

TEST(Fifo, ElementBuffersStayPutWhenItGrows) {
  Fifo<std::vector<int>> fifo;
  fifo.push_back(std::vector<int>(100, 7));
  const int* data = fifo.front().data();
  for (int i = 0; i < 1000; ++i) {
    fifo.push_back(std::vector<int>(3, i));
  }
  EXPECT_EQ(fifo.front().data(), data);
}

}  // namespace
}  // namespace connswap
