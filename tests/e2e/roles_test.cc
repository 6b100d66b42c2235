// Issue 14 item 5 against the real programs over QUIC: every cluster certificate was an
// operator. A worker's certificate drained workers and listed sessions, a second worker
// with another certificate registered as worker-a and took its new streams, and a worker's
// USER port served anyone. Each attack is refused now (docs/RELIABILITY.md §5).

#include <filesystem>

#include <connswap/v1/worker.pb.h>
#include <gtest/gtest.h>

#include "base/address.h"
#include "e2e/cluster.h"
#include "e2e/expect.h"
#include "net/loop.h"
#include "quic/tls.h"
#include "rpcnet/channel.h"
#include "services/common.h"

namespace connswap::e2e {
namespace {

namespace fs = std::filesystem;

struct Outcome {
  rpc::StatusCode code = rpc::StatusCode::kUnknown;
  std::string message;
  std::size_t tokens = 0;
};

// One Worker/Generate call straight to a worker's USER port, presenting `cert_name`.pem
// from `certs` ("" = no certificate), as an outsider would make it.
Outcome call_worker(const fs::path& certs, const std::string& cert_name, const std::string& user) {
  net::Loop loop;
  quic::ClientTlsOptions tls_options;
  tls_options.ca_file = (certs / "ca.pem").string();
  if (!cert_name.empty()) {
    tls_options.cert_file = (certs / (cert_name + ".pem")).string();
    tls_options.key_file = (certs / (cert_name + "-key.pem")).string();
  }
  auto tls = quic::TlsContext::make_client(tls_options);
  EXPECT_TRUE(tls);
  rpcnet::ChannelOptions options;
  options.remote = *Address::parse(user);
  options.quic.tls = *tls;
  options.quic.server_name = "localhost";
  auto channel = rpcnet::Channel::connect(loop, std::move(options));
  EXPECT_TRUE(channel);
  Outcome out;
  bool done = false;
  rpc::CallOptions call;
  call.method = std::string(services::kWorkerGenerate);
  call.metadata[std::string(services::kConnectionIdKey)] = "conn-outsider";
  call.deadline = loop.refresh_now() + 30 * kSecond;
  rpc::ClientCallbacks<v1::WorkerItem> callbacks;
  callbacks.on_message = [&](v1::WorkerItem&& item) { out.tokens += item.has_token() ? 1 : 0; };
  callbacks.on_done = [&](const rpc::Status& status) {
    out.code = status.code;
    out.message = status.message;
    done = true;
  };
  auto started =
      (*channel)->start_call<v1::WorkerGenerateRequest, v1::WorkerItem>(call, std::move(callbacks));
  EXPECT_TRUE(started);
  if (!started) {
    return out;
  }
  v1::WorkerGenerateRequest request;
  request.set_prompt("free tokens");
  request.set_max_tokens(5);
  EXPECT_TRUE(started->write(request));
  EXPECT_TRUE(started->half_close());
  EXPECT_TRUE(loop.run_until([&] { return done; }, 30 * kSecond));
  return out;
}

// A second set of role certificates signed by the cluster's CA (another worker.pem).
fs::path more_certs_from_the_same_ca(Cluster& c, const std::string& name) {
  fs::create_directories(c.dir() / name);
  for (const char* f : {"ca.pem", "ca-key.pem"}) {
    fs::copy_file(c.certs() / f, c.dir() / name / f);
  }
  auto& certs = c.start_tool("certs-" + name, {CONNSWAP_CERTS, "--out", (c.dir() / name).string()});
  auto status = certs.wait_exit(kStartBudget);
  EXPECT_TRUE(status && status->ok()) << certs.stderr_text();
  return c.dir() / name;
}

TEST(Roles, AWorkerCertificateCannotCallAdminMethods) {
  Cluster c;
  c.start_director();
  c.start_worker("worker-b");
  c.start_worker("worker-a");  // round robin: the stream goes to worker-a
  auto& client = c.start_client("client", {{"--max-tokens", "60"}});
  ASSERT_TRUE(wait_token(client, 3)) << c.logs();

  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"drain", "worker-a"},
        std::vector<std::string>{"move", "--connection", "conn-client", "--to", "worker-b"},
        std::vector<std::string>{"sessions"}}) {
    auto as_worker = c.ctl(args, true, {}, "worker");
    EXPECT_EQ(as_worker.status.code, 1) << args[0] << ": " << as_worker.out;
    EXPECT_NE(as_worker.err.find("PERMISSION_DENIED"), std::string::npos) << as_worker.err;
    EXPECT_NE(as_worker.err.find("operator role"), std::string::npos) << as_worker.err;
    EXPECT_EQ(as_worker.out.find("conn-client"), std::string::npos) << "sessions leaked";
  }
  auto summary = c.finish_client(client);
  expect_intact(c, client, summary, 60);
  EXPECT_EQ(summary.num("migrations"), 0U) << "a worker certificate moved the stream";
  // The operator's certificate (connswap-certs' operator.pem) may.
  auto as_operator = c.ctl({"sessions"});
  EXPECT_TRUE(as_operator.status.ok()) << as_operator.err;
  EXPECT_FALSE(c.director().process->stderr_lines({"needs=operator"}).empty()) << c.logs();
}

TEST(Roles, ASecondWorkerCertificateCannotTakeALiveWorkersLabel) {
  Cluster c;
  c.start_director();
  Node& owner = c.start_worker("worker-a", {{"--log-level", "debug"}});
  const fs::path intruder_certs = more_certs_from_the_same_ca(c, "intruder");
  auto& intruder = c.start_worker(
      "worker-a", {{"--log-level", "debug"}}, /*wait_registered=*/false, intruder_certs);
  ASSERT_TRUE(
      intruder.process->wait_for_log({"registration failed", "PERMISSION_DENIED"}, kStartBudget))
      << c.logs();
  EXPECT_FALSE(
      c.director().process->stderr_lines({"worker=worker-a", "belongs to another"}).empty())
      << c.logs();

  // New streams still go to the real worker-a, none to the intruder.
  auto& client = c.start_client("client", {{"--streams", "3"}, {"--max-tokens", "10"}});
  auto summary = c.finish_client(client);
  expect_intact(c, client, summary, 10, 3);
  EXPECT_TRUE(intruder.process->stderr_lines({"stream done"}).empty()) << c.logs();
  EXPECT_EQ(owner.process->stderr_lines({"stream done"}).size(), 3U) << c.logs();
  EXPECT_EQ(c.director().process->stderr_lines({"worker=worker-a", "worker registered"}).size(), 1U)
      << c.logs();
}

TEST(Roles, AWorkersUserPortServesOnlyDirectors) {
  Cluster c;
  c.start_director();
  Node& worker = c.start_worker("worker-a");
  const Outcome anonymous = call_worker(c.certs(), "", worker.user());
  EXPECT_EQ(anonymous.code, rpc::StatusCode::kUnauthenticated) << anonymous.message;
  EXPECT_EQ(anonymous.tokens, 0U);
  const Outcome fellow = call_worker(c.certs(), "worker", worker.user());
  EXPECT_EQ(fellow.code, rpc::StatusCode::kPermissionDenied) << fellow.message;
  EXPECT_NE(fellow.message.find("director role"), std::string::npos) << fellow.message;
  EXPECT_EQ(fellow.tokens, 0U);
  const Outcome director = call_worker(c.certs(), "director", worker.user());
  EXPECT_EQ(director.code, rpc::StatusCode::kOk) << director.message;
  EXPECT_EQ(director.tokens, 5U);
  // And through the real director, as ever.
  auto& client = c.start_client("client", {{"--max-tokens", "10"}});
  auto summary = c.finish_client(client);
  expect_intact(c, client, summary, 10);
}

TEST(Roles, AllowAnyClientOpensUserAndSaysSo) {
  Cluster c;
  c.start_director();
  Node& worker = c.start_worker("worker-a", {{"--allow-any-client", ""}});
  EXPECT_FALSE(worker.process->stderr_lines({"allow_any_client=true", "WARN"}).empty()) << c.logs();
  const Outcome anonymous = call_worker(c.certs(), "", worker.user());
  EXPECT_EQ(anonymous.code, rpc::StatusCode::kOk) << anonymous.message;
  EXPECT_EQ(anonymous.tokens, 5U);
}

// A certificate made before roles (connswap-certs' server.pem has none): refused with the
// role named, on the worker's registration and on connswap-ctl.
TEST(Roles, ACertificateWithoutRolesIsRefusedNamingTheMissingRole) {
  Cluster c;
  c.start_director();
  auto& old = c.start_worker("worker-old",
                             {{"--tls-cert", (c.certs() / "server.pem").string()},
                              {"--tls-key", (c.certs() / "server-key.pem").string()}},
                             /*wait_registered=*/false);
  ASSERT_TRUE(old.process->wait_for_log(
      {"registration failed", "PERMISSION_DENIED", "worker role", "connswap-certs"}, kStartBudget))
      << c.logs();
  auto ctl = c.ctl({"sessions"}, true, {}, "server");
  EXPECT_EQ(ctl.status.code, 1);
  EXPECT_NE(ctl.err.find("operator role"), std::string::npos) << ctl.err;
  EXPECT_NE(ctl.err.find("roles: none"), std::string::npos) << ctl.err;
}

}  // namespace
}  // namespace connswap::e2e
