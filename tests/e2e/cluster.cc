#include "e2e/cluster.h"

#include <sstream>

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "base/address.h"

namespace connswap::e2e {
namespace {

std::vector<std::string> to_args(std::vector<std::string> args,
                                 const Flags& defaults,
                                 const Flags& flags) {
  Flags merged = defaults;
  for (const auto& [k, v] : flags) {
    merged[k] = v;
  }
  for (const auto& [k, v] : merged) {
    args.push_back(k);
    if (!v.empty()) {  // "" = a flag without a value (--http-tls)
      args.push_back(v);
    }
  }
  return args;
}

}  // namespace

Flags director_defaults() {
  return {
      {"--heartbeat-timeout-ms", std::to_string(kHeartbeatTimeoutMs)},
      {"--min-stall-ms", std::to_string(kMinStallMs)},
      {"--first-token-timeout-ms", "2000"},
      {"--failure-hold-ms", "5000"},
      {"--worker-wait-ms", "2000"},
      {"--log-level", "info"},
  };
}

Flags worker_defaults() {
  return {
      {"--token-interval-ms", std::to_string(kTokenIntervalMs)},
      {"--fail-after-ms", "0"},
      {"--fail-mode", "none"},
      {"--log-level", "info"},
  };
}

std::string Node::field(const std::string& key) const {
  auto it = ready.find(key);
  return it == ready.end() ? std::string() : it->second;
}

std::string Summary::at(const std::string& key) const {
  auto it = fields.find(key);
  return it == fields.end() ? std::string() : it->second;
}

std::uint64_t Summary::num(const std::string& key) const {
  const std::string v = at(key);
  return v.empty() ? ~std::uint64_t{0} : std::stoull(v);
}

Summary parse_summary(const std::string& stdout_text) {
  Summary s;
  std::istringstream in(stdout_text);
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with("summary ")) {
      continue;
    }
    s.found = true;
    std::istringstream words(line.substr(8));
    for (std::string w; words >> w;) {
      if (auto eq = w.find('='); eq != std::string::npos) {
        s.fields[w.substr(0, eq)] = w.substr(eq + 1);
      }
    }
  }
  return s;
}

std::string http_get(const std::string& address, const std::string& path) {
  auto addr = Address::parse(address);
  if (!addr) {
    return {};
  }
  const int fd = ::socket(addr->family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return {};
  }
  const timeval timeout{.tv_sec = 5, .tv_usec = 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  std::string response;
  if (::connect(fd, addr->sa(), addr->len) == 0) {
    const std::string request = "GET " + path + " HTTP/1.0\r\nHost: " + address + "\r\n\r\n";
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
        static_cast<ssize_t>(request.size())) {
      char buf[4096];
      for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) {
        response.append(buf, static_cast<std::size_t>(n));
      }
    }
  }
  ::close(fd);
  const auto body = response.find("\r\n\r\n");
  return body == std::string::npos ? std::string() : response.substr(body + 4);
}

std::optional<double> metric_value(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(series + " ")) {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return std::nullopt;
}

std::string log_field(const std::string& line, const std::string& key) {
  const std::string needle = " " + key + "=";
  auto pos = line.find(needle);
  if (pos == std::string::npos) {
    return {};
  }
  pos += needle.size();
  auto end = line.find_first_of(" :", pos);
  return line.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
}

std::vector<Migration> migrations_of(const testing::Process& client) {
  std::vector<Migration> out;
  for (const auto& line : client.stderr_lines({"CONNECTION MIGRATION"})) {
    Migration m{
        log_field(line, "from_worker"), log_field(line, "to_worker"), log_field(line, "reason")};
    const std::string seq = log_field(line, "resume_seq");
    m.resume_seq = seq.empty() ? 0 : std::stoull(seq);
    out.push_back(std::move(m));
  }
  return out;
}

Cluster::Cluster() {
  auto certs = make_certs("certs");
  EXPECT_FALSE(certs.empty()) << "connswap-certs failed";
}

Cluster::~Cluster() {
  shutdown();
}

void Cluster::shutdown() {
  for (auto& client : clients_) {
    if (client->running()) {
      client->signal(SIGKILL);
      client->wait_exit(kStartBudget);
    }
  }
  // Workers first (they drain at once with no streams), directors last.
  std::vector<Node*> order;
  for (auto& node : nodes_) {
    if (node->label != "director") {
      order.push_back(node.get());
    }
  }
  for (auto& node : nodes_) {
    if (node->label == "director") {
      order.push_back(node.get());
    }
  }
  for (Node* node : order) {
    testing::Process& p = *node->process;
    if (!p.running()) {
      continue;
    }
    ::kill(p.pid(), SIGCONT);
    p.signal(SIGTERM);
    auto status = p.wait_exit(kStartBudget);
    EXPECT_TRUE(status && status->ok())
        << p.name() << " on SIGTERM: " << (status ? testing::to_string(*status) : "no exit") << "\n"
        << p.stderr_text();
  }
  for (const auto* p : all_) {
    for (const char* report : {"Sanitizer", "runtime error:"}) {
      EXPECT_TRUE(p->stderr_lines({report}).empty()) << p->name() << " has a sanitizer report:\n"
                                                     << p->stderr_text();
    }
  }
}

std::filesystem::path Cluster::make_certs(const std::string& name) {
  clients_.push_back(
      spawn("certs-" + name, {CONNSWAP_CERTS, "--out", (dir() / name).string()}, {}));
  testing::Process* p = clients_.back().get();
  auto status = p->wait_exit(kStartBudget);
  if (!status || !status->ok()) {
    ADD_FAILURE() << "connswap-certs: " << (status ? testing::to_string(*status) : "timeout")
                  << "\n"
                  << p->stderr_text();
    return {};
  }
  return dir() / name;
}

std::filesystem::path Cluster::make_key_file(const std::string& name) {
  clients_.push_back(
      spawn("keys-" + name, {CONNSWAP_KEYS, "--out", (dir() / name).string(), "--id", name}, {}));
  testing::Process* p = clients_.back().get();
  auto status = p->wait_exit(kStartBudget);
  if (!status || !status->ok()) {
    ADD_FAILURE() << "connswap-keys: " << (status ? testing::to_string(*status) : "timeout") << "\n"
                  << p->stderr_text();
    return {};
  }
  return dir() / name;
}

testing::Process& Cluster::start_tool(const std::string& name, std::vector<std::string> args) {
  clients_.push_back(spawn(name, std::move(args), {}));
  return *clients_.back();
}

Cluster::ToolRun Cluster::ctl(const std::vector<std::string>& args,
                              bool present_cert,
                              const std::filesystem::path& certs_dir,
                              const std::string& cert) {
  const auto c = certs_dir.empty() ? certs() : certs_dir;
  std::vector<std::string> argv = {
      CONNSWAP_CTL,
      "--director",
      director_ != nullptr ? director_->mgmt() : "127.0.0.1:1",
      "--tls-cert",
      present_cert ? (c / (cert + ".pem")).string() : "",
      "--tls-key",
      (c / (cert + "-key.pem")).string(),
      "--tls-ca",
      (certs() / "ca.pem").string(),
  };
  argv.insert(argv.end(), args.begin(), args.end());
  clients_.push_back(spawn("ctl", std::move(argv), {}));
  testing::Process* p = clients_.back().get();
  auto status = p->wait_exit(kStartBudget);
  EXPECT_TRUE(status.has_value()) << "connswap-ctl did not exit";
  return ToolRun{status.value_or(testing::ExitStatus{}), p->stdout_text(), p->stderr_text()};
}

std::unique_ptr<testing::Process> Cluster::spawn(
    const std::string& name,
    std::vector<std::string> args,
    std::vector<std::pair<std::string, std::string>> env) {
  std::string unique = name;
  if (int n = names_[name]++; n > 0) {
    unique += "-" + std::to_string(n + 1);
  }
  auto p = std::make_unique<testing::Process>(testing::ProcessOptions{
      .args = std::move(args), .env = std::move(env), .log_dir = dir(), .name = unique});
  all_.push_back(p.get());
  return p;
}

Node& Cluster::start_node(const std::string& label, std::vector<std::string> args) {
  auto node = std::make_unique<Node>();
  node->label = label;
  std::string ready_name = label;
  if (int n = names_[label]; n > 0) {
    ready_name += "-" + std::to_string(n + 1);
  }
  const auto ready = dir() / (ready_name + ".ready");
  args.push_back("--ready-file");
  args.push_back(ready.string());
  node->process = spawn(label, std::move(args), {});
  auto fields = testing::wait_ready_file(ready, kStartBudget, node->process.get());
  EXPECT_TRUE(fields.has_value()) << label << " wrote no ready-file\n"
                                  << node->process->stderr_text();
  if (fields) {
    node->ready = std::move(*fields);
  }
  nodes_.push_back(std::move(node));
  return *nodes_.back();
}

Node& Cluster::start_director(const Flags& flags) {
  const auto c = certs();
  Flags f = director_defaults();
  f["--user-addr"] = "127.0.0.1:0";
  f["--mgmt-addr"] = "127.0.0.1:0";
  f["--tls-cert"] = (c / "director.pem").string();
  f["--tls-key"] = (c / "director-key.pem").string();
  f["--tls-ca"] = (c / "ca.pem").string();
  director_ = &start_node("director", to_args({CONNSWAP_DIRECTOR}, f, flags));
  return *director_;
}

Node& Cluster::start_worker(const std::string& label,
                            const Flags& flags,
                            bool wait_registered_too,
                            const std::filesystem::path& certs_dir) {
  const auto c = certs_dir.empty() ? certs() : certs_dir;
  Flags f = worker_defaults();
  f["--label"] = label;
  f["--user-addr"] = "127.0.0.1:0";
  f["--mgmt-addr"] = "127.0.0.1:0";
  f["--director-mgmt-addr"] = director_ != nullptr ? director_->mgmt() : "127.0.0.1:1";
  f["--tls-cert"] = (c / "worker.pem").string();
  f["--tls-key"] = (c / "worker-key.pem").string();
  f["--tls-ca"] = (certs() / "ca.pem").string();  // every worker trusts the real director
  Node& node = start_node(label, to_args({CONNSWAP_WORKER}, f, flags));
  if (wait_registered_too) {
    EXPECT_TRUE(wait_registered(label)) << label << " did not register\n" << logs();
  }
  return node;
}

Node* Cluster::find_node(const std::string& label) {
  for (auto it = nodes_.rbegin(); it != nodes_.rend(); ++it) {
    if ((*it)->label == label) {
      return it->get();
    }
  }
  ADD_FAILURE() << "no node " << label;
  return nullptr;
}

bool Cluster::wait_registered(const std::string& label, std::size_t count) {
  if (director_ == nullptr) {
    return false;
  }
  const std::string worker = "worker=" + label + " ";
  return director_->process->wait_for_log({worker, "worker registered"}, kStartBudget, count);
}

testing::Process& Cluster::start_client(const std::string& name, const Flags& flags) {
  Flags f = {
      {"--director", director_ != nullptr ? director_->user() : "127.0.0.1:1"},
      {"--tls-ca", (certs() / "ca.pem").string()},
      {"--connection-id", "conn-" + name},
      {"--log-level", "info"},
  };
  clients_.push_back(spawn(name, to_args({CONNSWAP_CLIENT}, f, flags), {}));
  return *clients_.back();
}

Summary Cluster::finish_client(testing::Process& client) {
  auto status = client.wait_exit(kStreamBudget);
  EXPECT_TRUE(status.has_value()) << client.name() << " did not exit\n" << logs();
  return parse_summary(client.stdout_text());
}

std::string Cluster::logs() const {
  std::string out;
  for (const auto* p : all_) {
    out += "----- " + p->name() + " (stderr, last 40 lines)\n";
    std::istringstream in(p->stderr_text());
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) {
      lines.push_back(std::move(line));
    }
    const std::size_t from = lines.size() > 40 ? lines.size() - 40 : 0;
    for (std::size_t i = from; i < lines.size(); ++i) {
      out += lines[i] + "\n";
    }
  }
  return out;
}

}  // namespace connswap::e2e
