// The cluster key file's permissions (issue 14 item 9): connswap-keys writes it 0600 (also
// on --rotate and --force), and both connswap-keys --rotate and the director warn, naming
// the file and its mode, about a key file that group or others can access.

#include <filesystem>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "e2e/cluster.h"

namespace connswap::e2e {
namespace {

std::uint32_t mode_of(const std::filesystem::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777U;
}

TEST(KeyFile, WrittenPrivateAndWarnedAboutWhenOthersCanRead) {
  Cluster c;
  const auto keys = c.make_key_file("cluster.keys");
  ASSERT_FALSE(keys.empty());
  EXPECT_EQ(mode_of(keys), 0600U);

  // An operator copied it with a permissive umask: rotating warns and writes it 0600.
  ASSERT_EQ(::chmod(keys.c_str(), 0644), 0);
  testing::Process& rotate =
      c.start_tool("keys-rotate", {CONNSWAP_KEYS, "--out", keys.string(), "--rotate"});
  auto status = rotate.wait_exit(kStartBudget);
  ASSERT_TRUE(status && status->ok()) << rotate.stderr_text();
  EXPECT_EQ(rotate.stderr_lines({"warning", keys.string(), "mode 0644"}).size(), 1U)
      << rotate.stderr_text();
  EXPECT_EQ(mode_of(keys), 0600U);

  // A private file: no warning.
  testing::Process& quiet = c.start_tool(
      "keys-rotate-again", {CONNSWAP_KEYS, "--out", keys.string(), "--rotate", "--id", "k2"});
  ASSERT_TRUE(quiet.wait_exit(kStartBudget));
  EXPECT_EQ(quiet.stderr_text().find("warning"), std::string::npos) << quiet.stderr_text();

  // The director warns but starts (start_director waited for its ready-file).
  ASSERT_EQ(::chmod(keys.c_str(), 0640), 0);
  Node& director = c.start_director({{"--cluster-key-file", keys.string()}});
  EXPECT_TRUE(director.process->wait_for_log({"WARN", keys.string(), "mode 0640"}, kStartBudget))
      << c.logs();
  EXPECT_TRUE(director.process->running());
}

}  // namespace
}  // namespace connswap::e2e
