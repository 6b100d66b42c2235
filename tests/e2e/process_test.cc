// The process helper (tests/support/process.h) on /bin/sh children: exit statuses, captured
// output, a filtered environment, log and ready-file waits, signals, cleanup.

#include "support/process.h"

#include <fstream>

#include <gtest/gtest.h>
#include <signal.h>

#include "support/temp_dir.h"

namespace connswap::testing {
namespace {

using namespace std::chrono_literals;

class ProcessHelper : public ::testing::Test {
 protected:
  std::unique_ptr<Process> sh(const std::string& name,
                              const std::string& script,
                              std::vector<std::pair<std::string, std::string>> env = {}) {
    return std::make_unique<Process>(ProcessOptions{.args = {"/bin/sh", "-c", script},
                                                    .env = std::move(env),
                                                    .log_dir = dir_.path(),
                                                    .name = name});
  }
  TempDir dir_{"connswap-process"};
};

TEST_F(ProcessHelper, CapturesOutputAndExitCode) {
  auto p = sh("out", "echo hello; echo oops >&2; exit 3");
  auto status = p->wait_exit(10s);
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->exited);
  EXPECT_EQ(status->code, 3);
  EXPECT_FALSE(status->ok());
  EXPECT_EQ(p->stdout_text(), "hello\n");
  EXPECT_EQ(p->stderr_text(), "oops\n");
  EXPECT_FALSE(p->running());
}

TEST_F(ProcessHelper, DropsHostLogSettingsAndAddsEnv) {
  ::setenv("CONNECTION_SWAP_DIRECTOR_USER_ADDR", "1.2.3.4:5", 1);
  ::setenv("RUST_LOG", "trace", 1);
  auto p = sh("env",
              "echo \"[${CONNECTION_SWAP_DIRECTOR_USER_ADDR}][${RUST_LOG}][${MINE}]\"",
              {{"MINE", "x"}});
  ::unsetenv("CONNECTION_SWAP_DIRECTOR_USER_ADDR");
  ::unsetenv("RUST_LOG");
  ASSERT_TRUE(p->wait_exit(10s));
  EXPECT_EQ(p->stdout_text(), "[][][x]\n");
}

TEST_F(ProcessHelper, WaitsForLogLinesAndSignals) {
  auto p = sh("log", "echo 'INFO a=1: one' >&2; echo 'INFO a=2: two' >&2; exec sleep 30");
  EXPECT_TRUE(p->wait_for_log({"INFO", "a="}, 10s, 2));
  EXPECT_EQ(p->stderr_lines({"a=2"}).size(), 1U);
  EXPECT_FALSE(p->wait_for_log({"never"}, 50ms));
  ASSERT_TRUE(p->signal(SIGTERM));
  auto status = p->wait_exit(10s);
  ASSERT_TRUE(status);
  EXPECT_FALSE(status->exited);
  EXPECT_EQ(status->signal, SIGTERM);
}

TEST_F(ProcessHelper, LogWaitEndsWhenTheChildExits) {
  auto p = sh("quit", "exit 0");
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(p->wait_for_log({"never"}, 30s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 20s);
}

TEST_F(ProcessHelper, ReadsReadyFileWrittenAtomically) {
  const auto path = dir_.path() / "ready";
  auto p = sh("ready",
              "printf 'user=127.0.0.1:1\\npid=%s\\n' $$ > " + path.string() + ".tmp && mv " +
                  path.string() + ".tmp " + path.string() + "; exec sleep 30");
  auto ready = wait_ready_file(path, 10s, p.get());
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->at("user"), "127.0.0.1:1");
  EXPECT_EQ(ready->at("pid"), std::to_string(p->pid()));
}

TEST_F(ProcessHelper, ReadyWaitEndsWhenTheOwnerExits) {
  auto p = sh("noready", "exit 1");
  EXPECT_FALSE(wait_ready_file(dir_.path() / "none", 30s, p.get()));
  EXPECT_EQ(p->status()->code, 1);
}

TEST_F(ProcessHelper, DestructorKillsAStoppedChild) {
  pid_t pid = 0;
  {
    auto p = sh("stopped", "exec sleep 30");
    pid = p->pid();
    ASSERT_TRUE(p->signal(SIGSTOP));
  }
  EXPECT_EQ(::kill(pid, 0), -1);  // reaped: no such process
}

TEST_F(ProcessHelper, MissingExecutableExits127) {
  Process p(ProcessOptions{
      .args = {"/nonexistent/binary"}, .env = {}, .log_dir = dir_.path(), .name = "x"});
  auto status = p.wait_exit(10s);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->code, 127);
}

}  // namespace
}  // namespace connswap::testing
