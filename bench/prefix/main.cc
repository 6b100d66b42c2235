// connswap-prefix-bench: what keeping a stream's whole delivered prefix costs the director.
// Fills `--streams` TokenWindows with `--tokens` tokens each, as the router does (whole
// prefix within the default bounds, or only the 256-token window), and reports per stream:
// the text bytes, the buffer's reserved bytes, the process's RSS growth, and the push cost.
// Token kinds: the demo generator's words, and LLM-like text tokens (1-10 bytes, mean ~4,
// as English BPE tokens), both seeded.

#include <chrono>
#include <cstdio>
#include <exception>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "director/config.h"
#include "director/token_window.h"
#include "worker/generator.h"

namespace {

using connswap::director::TokenWindow;

// VmRSS of this process in bytes.
std::size_t rss_bytes() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") {
      std::size_t kib = 0;
      status >> kib;
      return kib * 1024;
    }
  }
  return 0;
}

std::vector<std::string> demo_tokens(std::size_t n) {
  std::vector<std::string> out;
  for (std::size_t seq = 1; seq <= n; ++seq) {
    out.push_back(connswap::worker::demo_token("tell me a story", seq));
  }
  return out;
}

std::vector<std::string> llm_tokens(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  // Lengths 1..10 weighted toward 2-5 bytes (mean ~4.1).
  std::discrete_distribution<int> len({0, 8, 14, 16, 16, 12, 8, 5, 3, 2, 1});
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) {
    out.emplace_back(static_cast<std::size_t>(len(rng)), static_cast<char>('a' + i % 26));
  }
  return out;
}

struct Figures {
  double text = 0;      // bytes of token text per stream
  double reserved = 0;  // TokenWindow::capacity_bytes per stream
  double rss = 0;       // RSS growth per stream
  double push_ns = 0;   // per token
  std::size_t held = 0;
};

Figures fill(const std::vector<std::string>& tokens, std::size_t streams, bool whole) {
  namespace d = connswap::director;
  const std::size_t before = rss_bytes();
  std::vector<TokenWindow> windows;
  windows.reserve(streams);
  for (std::size_t i = 0; i < streams; ++i) {
    windows.emplace_back(
        whole ? TokenWindow(d::kDefaultPrefixMaxTokens, d::kDefaultPrefixMaxBytes, 256)
              : TokenWindow(256, d::kDefaultPrefixMaxBytes));
  }
  // Round robin over the streams, as tokens of many streams interleave in a director.
  const auto start = std::chrono::steady_clock::now();
  for (const std::string& token : tokens) {
    for (TokenWindow& w : windows) {
      w.push(token);
    }
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  Figures f;
  for (const TokenWindow& w : windows) {
    f.text += static_cast<double>(w.text_bytes());
    f.reserved += static_cast<double>(w.capacity_bytes());
  }
  const auto n = static_cast<double>(streams);
  f.text /= n;
  f.reserved /= n;
  f.rss = static_cast<double>(rss_bytes() - before) / n;
  f.push_ns =
      static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count()) /
      (n * static_cast<double>(tokens.size()));
  f.held = windows.front().size();
  return f;
}

int run(int argc, char** argv) {
  CLI::App app{"connswap-prefix-bench: memory per stream of the delivered prefix"};
  std::size_t streams = 1000;
  std::size_t tokens = 2048;
  std::string kind = "demo";
  std::string prefix = "whole";
  bool header = false;
  app.add_option("--streams", streams, "streams filled at once");
  app.add_option("--tokens", tokens, "tokens delivered per stream");
  app.add_option("--kind", kind, "demo (the demo generator's words) | llm (1-10 bytes, mean ~4)")
      ->check(CLI::IsMember({"demo", "llm"}));
  app.add_option("--prefix", prefix, "whole (a bounded stream) | window (the newest 256)")
      ->check(CLI::IsMember({"whole", "window"}));
  app.add_flag("--header", header, "print the column names first");
  CLI11_PARSE(app, argc, argv);

  if (header) {
    std::printf("%-5s %-7s %6s %9s %11s %13s %8s %8s\n",
                "kind",
                "prefix",
                "held",
                "text B",
                "reserved B",
                "RSS B/stream",
                "B/token",
                "ns/push");
  }
  // One configuration per process: freed memory would otherwise be reused by the next.
  const std::vector<std::string> t = kind == "demo" ? demo_tokens(tokens) : llm_tokens(tokens, 13);
  const Figures f = fill(t, streams, prefix == "whole");
  std::printf("%-5s %-7s %6zu %9.0f %11.0f %13.0f %8.2f %8.1f\n",
              kind.c_str(),
              prefix.c_str(),
              f.held,
              f.text,
              f.reserved,
              f.rss,
              f.rss / static_cast<double>(f.held),
              f.push_ns);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {  // CLI11 and allocation failures
    std::fprintf(stderr, "connswap-prefix-bench: %s\n", e.what());
    return 1;
  }
}
