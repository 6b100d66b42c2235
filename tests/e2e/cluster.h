#pragma once
// The e2e fixture: the real connswap-director, -worker and -client programs as child
// processes on 127.0.0.1 port 0 (each writes its bound ports to a --ready-file), with
// certificates from connswap-certs and short intervals, all in one TempDir. Parallel-safe.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/process.h"
#include "support/temp_dir.h"

namespace connswap::e2e {

using namespace std::chrono_literals;

// Budgets for things that normally take milliseconds; generous for ASan on a busy host.
inline constexpr std::chrono::milliseconds kStartBudget = 20s;
inline constexpr std::chrono::milliseconds kStreamBudget = 40s;

// Option -> value; merged over the fixture's defaults (a test's value wins).
using Flags = std::map<std::string, std::string>;

// The fixture's timing (a test may override any flag). Token pacing 25 ms; heartbeats every
// 500 ms (timeout / 3), lost after 1.5 s; a stall is declared after 500 ms without a token,
// so a stall is found long before a heartbeat loss.
inline constexpr int kTokenIntervalMs = 25;
inline constexpr int kHeartbeatTimeoutMs = 1500;
inline constexpr int kMinStallMs = 500;
Flags director_defaults();
Flags worker_defaults();

// A started director or worker and what its ready-file said.
struct Node {
  std::string label;  // "director", "worker-a", ...
  std::unique_ptr<testing::Process> process;
  testing::ReadyFile ready;
  std::string user() const { return field("user"); }
  std::string mgmt() const { return field("mgmt"); }
  std::string field(const std::string& key) const;
};

// The client's final stdout line, as key=value fields ("" when absent).
struct Summary {
  bool found = false;
  std::map<std::string, std::string> fields;
  std::string at(const std::string& key) const;
  std::uint64_t num(const std::string& key) const;
};
Summary parse_summary(const std::string& stdout_text);

// One "🔀 CONNECTION MIGRATION" line of a client.
struct Migration {
  std::string from, to, reason;
  std::uint64_t resume_seq = 0;
};
std::vector<Migration> migrations_of(const testing::Process& client);

// GET http://<address><path> (HTTP/1.0, plain sockets): the body, or "" on any failure.
std::string http_get(const std::string& address, const std::string& path);
// The value of the Prometheus sample `series` (e.g. `connswap_workers{state="active"}`) in a
// /metrics text, or nullopt.
std::optional<double> metric_value(const std::string& text, const std::string& series);

// The value of `key=` in a log line ("" if absent).
std::string log_field(const std::string& line, const std::string& key);

class Cluster {
 public:
  Cluster();  // a TempDir with certs/ from connswap-certs (--worker-cert intruder too)
  // shutdown(), then removes the TempDir.
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  const std::filesystem::path& dir() const { return dir_.path(); }
  std::filesystem::path certs() const { return dir() / "certs"; }
  // A second, unrelated PKI (its own CA) in dir()/name; empty path on failure.
  std::filesystem::path make_certs(const std::string& name);
  // A cluster key file from connswap-keys at dir()/name, its key id `name`; empty path on
  // failure.
  std::filesystem::path make_key_file(const std::string& name);

  // What a short-lived tool printed and how it ended.
  struct ToolRun {
    testing::ExitStatus status;
    std::string out, err;
  };
  // Runs connswap-ctl against director()'s MGMT port with `args` (subcommand and options),
  // presenting the cluster's `cert` (operator.pem: the operator role) unless `certs_dir`
  // names another PKI or `present_cert` is false, and waits for it (kStartBudget).
  ToolRun ctl(const std::vector<std::string>& args,
              bool present_cert = true,
              const std::filesystem::path& certs_dir = {},
              const std::string& cert = "operator");

  // Starts a director and waits for its ready-file. --user-addr/--mgmt-addr default to
  // port 0; no metrics endpoint unless --metrics-addr is given (stopping the Prometheus
  // exposer costs the director 1-2 s at exit).
  // The last one started is director().
  Node& start_director(const Flags& flags = {});
  Node& director() { return *director_; }
  // Starts a worker registering with director() and waits for its ready-file and, unless
  // `wait_registered` is false, for director() to log its registration. `certs_dir`
  // overrides the certificate directory (an intruder).
  Node& start_worker(const std::string& label,
                     const Flags& flags = {},
                     bool wait_registered = true,
                     const std::filesystem::path& certs_dir = {});
  // The node last started with `label` (nullptr if none).
  Node* find_node(const std::string& label);
  // Waits for director() to have logged `count` registrations of `label`.
  bool wait_registered(const std::string& label, std::size_t count = 1);

  // Starts any program (`args[0]` a path, e.g. /usr/bin/curl) in dir(); owned by the
  // Cluster, SIGKILLed by shutdown() if still running.
  testing::Process& start_tool(const std::string& name, std::vector<std::string> args);

  // Starts a client against director() (connection id conn-<name>); owned by the Cluster.
  testing::Process& start_client(const std::string& name, const Flags& flags = {});
  // Waits for the client to exit (kStreamBudget) and returns its summary.
  Summary finish_client(testing::Process& client);

  // Stops what still runs: clients by SIGKILL; workers, then directors, by SIGTERM (a
  // stopped one gets SIGCONT first), each expected to exit 0 within kStartBudget. Then
  // fails the test if any process's stderr holds a sanitizer report (ASan, LSan, UBSan):
  // a child's leak or overflow must not pass unseen. Idempotent.
  void shutdown();

  // Every process's stderr, for a failure message.
  std::string logs() const;

 private:
  std::unique_ptr<testing::Process> spawn(const std::string& name,
                                          std::vector<std::string> args,
                                          std::vector<std::pair<std::string, std::string>> env);
  Node& start_node(const std::string& label, std::vector<std::string> args);

  testing::TempDir dir_{"connswap-e2e"};
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<std::unique_ptr<testing::Process>> clients_;
  std::vector<testing::Process*> all_;  // every process started, for logs()
  std::map<std::string, int> names_;    // uniquifies log file names
  Node* director_ = nullptr;
};

}  // namespace connswap::e2e
