#include "e2e/impaired.h"

#include <cstdio>
#include <sstream>

#include <gtest/gtest.h>
#include <signal.h>

namespace connswap::e2e {

std::string RelayNode::at(const std::string& link) const {
  auto it = ready.find(link);
  return it == ready.end() ? std::string() : it->second;
}

ImpairedCluster::ImpairedCluster(Flags impair, std::uint64_t seed)
    : impair_(std::move(impair)), seed_(seed) {}

ImpairedCluster::~ImpairedCluster() {
  cluster_.shutdown();
  stop_relays();
}

RelayNode& ImpairedCluster::start_relay(const std::string& name,
                                        const std::vector<std::string>& links,
                                        const Flags& flags) {
  const auto ready = cluster_.dir() / ("relay-" + name + ".ready");
  std::vector<std::string> args = {CONNSWAP_IMPAIR, "--ready-file", ready.string()};
  for (const std::string& link : links) {
    args.push_back("--link");
    args.push_back(link);
  }
  Flags merged = impair_;
  merged["--seed"] = std::to_string(seed_ + relays_.size());
  for (const auto& [k, v] : flags) {
    merged[k] = v;
  }
  for (const auto& [k, v] : merged) {
    args.push_back(k);
    args.push_back(v);
  }
  auto node = std::make_unique<RelayNode>();
  node->process = std::make_unique<testing::Process>(testing::ProcessOptions{
      .args = std::move(args), .env = {}, .log_dir = cluster_.dir(), .name = "relay-" + name});
  auto fields = testing::wait_ready_file(ready, kStartBudget, node->process.get());
  EXPECT_TRUE(fields.has_value()) << "relay " << name << " wrote no ready-file\n"
                                  << node->process->stderr_text();
  if (fields) {
    node->ready = std::move(*fields);
  }
  auto& slot = relays_[name];
  slot = std::move(node);
  return *slot;
}

Node& ImpairedCluster::start_director(const Flags& flags) {
  Node& d = cluster_.start_director(flags);
  start_relay("client", {"user,127.0.0.1:0," + d.user()}, {});
  return d;
}

Node& ImpairedCluster::start_worker(const std::string& label, const Flags& relay_flags) {
  const std::string ready = (cluster_.dir() / (label + ".ready")).string();
  RelayNode& r = start_relay(
      label,
      {"user,127.0.0.1:0,@" + ready + "#user", "mgmt,127.0.0.1:0," + cluster_.director().mgmt()},
      relay_flags);
  return cluster_.start_worker(
      label, {{"--director-mgmt-addr", r.at("mgmt")}, {"--advertise-user-addr", r.at("user")}});
}

testing::Process& ImpairedCluster::start_client(const std::string& name, const Flags& flags) {
  Flags f = flags;
  f["--director"] = relay("client").at("user");
  return cluster_.start_client(name, f);
}

std::vector<std::string> ImpairedCluster::stop_relays() {
  std::vector<std::string> lines;
  for (auto& [name, relay] : relays_) {
    testing::Process& p = *relay->process;
    if (!p.running()) {
      continue;
    }
    p.signal(SIGTERM);
    auto status = p.wait_exit(kStartBudget);
    EXPECT_TRUE(status && status->ok()) << p.name() << "\n" << p.stderr_text();
    std::istringstream in(p.stdout_text());
    for (std::string line; std::getline(in, line);) {
      lines.push_back("relay=" + name + " " + line);
    }
  }
  return lines;
}

std::vector<TokenLine> token_lines(const testing::Process& client) {
  std::vector<TokenLine> out;
  for (const std::string& line : client.stderr_lines({"received token"})) {
    TokenLine t;
    t.us = log_time_us(line);
    t.worker = log_field(line, "worker");
    const std::string stream = log_field(line, "stream.id");
    const std::string seq = log_field(line, "sequence");
    t.stream = stream.empty() ? 0 : std::stoull(stream);
    t.seq = seq.empty() ? 0 : std::stoull(seq);
    out.push_back(std::move(t));
  }
  return out;
}

std::map<std::uint64_t, StreamReport> stream_reports(const testing::Process& client,
                                                     std::uint64_t max_tokens) {
  std::map<std::uint64_t, std::vector<TokenLine>> by_stream;
  for (TokenLine& t : token_lines(client)) {
    by_stream[t.stream].push_back(std::move(t));
  }
  std::map<std::uint64_t, StreamReport> reports;
  for (const auto& [stream, lines] : by_stream) {
    StreamReport& r = reports[stream];
    r.intact = lines.size() == max_tokens;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      r.intact = r.intact && lines[i].seq == i + 1;
      if (r.workers.empty() || r.workers.back() != lines[i].worker) {
        if (!r.workers.empty()) {
          r.switch_gaps_ms.push_back((lines[i].us - lines[i - 1].us) / 1000);
        }
        r.workers.push_back(lines[i].worker);
      }
      if (i > 0) {
        r.max_gap_ms = std::max(r.max_gap_ms, (lines[i].us - lines[i - 1].us) / 1000);
      }
    }
  }
  return reports;
}

}  // namespace connswap::e2e
