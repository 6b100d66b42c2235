// The ready-file: key=value lines, written atomically.

#include "common/ready_file.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace connswap::app::testing {
namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST(ReadyFile, FormatIsKeyValueLines) {
  const ReadyFields fields = {{"user", "127.0.0.1:40001"},
                              {"mgmt", "127.0.0.1:40002"},
                              {"metrics", "127.0.0.1:40003"},
                              {"pid", "1234"}};
  EXPECT_EQ(format_ready(fields),
            "user=127.0.0.1:40001\nmgmt=127.0.0.1:40002\nmetrics=127.0.0.1:40003\npid=1234\n");
  auto parsed = parse_ready(format_ready(fields));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, fields);
  EXPECT_FALSE(parse_ready("user 127.0.0.1:1\n"));
  EXPECT_FALSE(parse_ready("=x\n"));
}

TEST(ReadyFile, WritesAtomicallyAndReplaces) {
  connswap::testing::TempDir dir("connswap-ready");
  const auto path = dir.path() / "director.ready";
  ASSERT_TRUE(write_ready_file(path.string(), {{"user", "127.0.0.1:1"}}));
  EXPECT_EQ(slurp(path), "user=127.0.0.1:1\n");
  ASSERT_TRUE(write_ready_file(path.string(), {{"user", "127.0.0.1:2"}, {"pid", "7"}}));
  EXPECT_EQ(slurp(path), "user=127.0.0.1:2\npid=7\n");
  // Only the file itself is left: no temporary next to it.
  std::size_t entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 1U);
}

TEST(ReadyFile, UnwritableDirectoryIsAnIoError) {
  connswap::testing::TempDir dir("connswap-ready");
  auto r = write_ready_file((dir.path() / "missing" / "x.ready").string(), {{"pid", "1"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kIo);
}

}  // namespace
}  // namespace connswap::app::testing
