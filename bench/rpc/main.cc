// connswap-rpc-bench: RPC over real QUIC on loopback. The server runs on its own thread
// and Loop, the client on the main thread; one connection per run. Prints one JSON line
// per run and one "median" line per mode.
//
//   connswap-rpc-bench [--mode all|unary|unary100|stream] [--seconds 2] [--runs 5]

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <connswap/v1/test.pb.h>

#include "bench_server.h"
#include "net/loop.h"
#include "rpc/client.h"
#include "rpcnet/channel.h"

namespace connswap::bench {
namespace {

using v1::test::EchoRequest;
using v1::test::EchoResponse;

struct Run {
  double seconds = 0;
  std::uint64_t count = 0;  // completed calls or received items
  std::uint64_t errors = 0;
};

struct Client {
  net::Loop loop;
  std::unique_ptr<rpcnet::Channel> channel;
};

std::unique_ptr<Client> connect(const Pki& pki, const Address& server) {
  auto c = std::make_unique<Client>();
  rpcnet::ChannelOptions options;
  options.remote = server;
  options.quic.tls = pki.client;
  options.quic.server_name = "localhost";
  auto ch = rpcnet::Channel::connect(c->loop, std::move(options));
  if (!ch || !c->loop.run_until([&] { return (*ch)->connected(); }, 5 * kSecond)) {
    std::fprintf(stderr, "rpc-bench: connect failed\n");
    std::exit(1);
  }
  c->channel = std::move(*ch);
  return c;
}

// Keeps `concurrency` unary 1-byte echo calls in flight until `end`, then drains.
Run run_unary(Client& c, int concurrency, Timestamp end) {
  Run run;
  EchoRequest request;
  request.set_text("x");
  rpc::CallOptions options;
  options.method = "bench.Echo/Unary";
  int in_flight = 0;
  std::function<void()> issue = [&] {
    ++in_flight;
    auto call = rpc::call_unary<EchoRequest, EchoResponse>(
        c.channel->session(),
        options,
        request,
        [&](rpc::UnaryResult<EchoResponse> r) {
          --in_flight;
          r ? ++run.count : ++run.errors;
          if (net::clock_now() < end) {
            issue();
          }
        },
        c.loop.now());
    if (!call) {
      --in_flight;
      ++run.errors;
    }
  };
  const Timestamp start = net::clock_now();
  for (int i = 0; i < concurrency; ++i) {
    issue();
  }
  c.loop.run_until([&] { return in_flight == 0; }, end - start + 5 * kSecond);
  run.seconds = static_cast<double>(net::clock_now() - start) / static_cast<double>(kSecond);
  return run;
}

// One server-streaming call of kItemBytes items, read until `end`, then cancelled.
Run run_stream(Client& c, Timestamp end) {
  Run run;
  rpc::ClientCallbacks<EchoResponse> callbacks;
  callbacks.on_message = [&](EchoResponse&&) { ++run.count; };
  bool done = false;
  callbacks.on_done = [&](const rpc::Status&) { done = true; };
  rpc::CallOptions options;
  options.method = "bench.Echo/Stream";
  auto call = rpc::start_call<EchoRequest, EchoResponse>(
      c.channel->session(), options, std::move(callbacks), c.loop.now());
  const Timestamp start = net::clock_now();
  if (!call || !call->write(EchoRequest()) || !call->half_close()) {
    run.errors = 1;
    return run;
  }
  c.loop.run_until([&] { return done || net::clock_now() >= end; }, end - start + kSecond);
  run.seconds = static_cast<double>(net::clock_now() - start) / static_cast<double>(kSecond);
  call->cancel();
  return run;
}

void report(const std::string& mode, int index, const Run& run, const char* unit) {
  std::printf(
      "{\"mode\":\"%s\",\"run\":%d,\"seconds\":%.3f,\"count\":%llu,\"errors\":%llu,"
      "\"%s_per_s\":%.0f}\n",
      mode.c_str(),
      index,
      run.seconds,
      static_cast<unsigned long long>(run.count),
      static_cast<unsigned long long>(run.errors),
      unit,
      static_cast<double>(run.count) / run.seconds);
  std::fflush(stdout);
}

}  // namespace
}  // namespace connswap::bench

int main(int argc, char** argv) {
  using namespace connswap;
  using namespace connswap::bench;
  std::string mode = "all";
  double seconds = 2;
  int runs = 5;
  CLI::App app{"RPC over QUIC loopback benchmark (server thread + client thread)"};
  app.add_option("--mode", mode, "all, unary, unary100 or stream")
      ->check(CLI::IsMember({"all", "unary", "unary100", "stream"}));
  app.add_option("--seconds", seconds, "measured time per run");
  app.add_option("--runs", runs, "runs per mode (the median is reported)");
  CLI11_PARSE(app, argc, argv);

  auto pki = make_pki();
  ServerThread server(*pki);
  for (const std::string m : {"unary", "unary100", "stream"}) {
    if (mode != "all" && mode != m) {
      continue;
    }
    std::vector<double> rates;
    for (int i = 0; i < runs; ++i) {
      auto client = connect(*pki, server.address());
      const Timestamp end =
          net::clock_now() + static_cast<Duration>(seconds * static_cast<double>(kSecond));
      Run run = m == "stream" ? run_stream(*client, end)
                              : run_unary(*client, m == "unary" ? 1 : 100, end);
      const char* unit = m == "stream" ? "items" : "calls";
      report(m, i, run, unit);
      rates.push_back(static_cast<double>(run.count) / run.seconds);
      client->channel->close();
      client->loop.run_until([] { return false; }, 20 * kMillisecond);  // let the close go out
    }
    std::sort(rates.begin(), rates.end());
    std::printf("{\"mode\":\"%s\",\"median_per_s\":%.0f,\"runs\":%d}\n",
                m.c_str(),
                rates[rates.size() / 2],
                runs);
  }
  return 0;
}
