#include "report.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace connswap::bench {
namespace {

struct GapStats {
  std::size_t count = 0;
  double p50 = 0, p99 = 0, max = 0, min = 0;  // ms
};

// Exact nearest-rank percentiles (there are at most a few thousand samples).
GapStats gap_stats(std::vector<std::int64_t> ns) {
  GapStats g;
  g.count = ns.size();
  if (ns.empty()) {
    return g;
  }
  std::sort(ns.begin(), ns.end());
  auto at = [&](double q) {
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(ns.size())));
    return static_cast<double>(ns[std::clamp<std::size_t>(rank, 1, ns.size()) - 1]) / 1e6;
  };
  g.p50 = at(0.50);
  g.p99 = at(0.99);
  g.max = static_cast<double>(ns.back()) / 1e6;
  g.min = static_cast<double>(ns.front()) / 1e6;
  return g;
}

// Fault injected -> first token after the migration, per affected stream.
std::vector<std::int64_t> resume_delays(const Report& r) {
  std::vector<std::int64_t> out;
  if (r.fault_at == kNever) {
    return out;
  }
  for (const GapSample& g : r.load.gaps) {
    out.push_back(static_cast<std::int64_t>(g.resumed_at) - static_cast<std::int64_t>(r.fault_at));
  }
  return out;
}

std::map<std::string, std::vector<std::int64_t>> gaps_by_reason(const LoadResult& r) {
  std::map<std::string, std::vector<std::int64_t>> out;
  for (const GapSample& g : r.gaps) {
    out["all"].push_back(g.gap_ns);
    out[g.reason].push_back(g.gap_ns);
  }
  return out;
}

std::string gap_json(const GapStats& g) {
  return fmt::format(R"({{"count":{},"p50":{:.3f},"p99":{:.3f},"max":{:.3f},"min":{:.3f}}})",
                     g.count,
                     g.p50,
                     g.p99,
                     g.max,
                     g.min);
}

std::string proc_json(const ProcReport& p) {
  return fmt::format(
      R"({{"name":"{}","pid":{},"cpu_percent":{:.1f},"rss_idle_bytes":{},"rss_bytes":{},)"
      R"("rss_max_bytes":{}}})",
      p.name,
      p.pid,
      p.cpu_percent,
      p.rss_idle,
      p.rss,
      p.rss_max);
}

std::string counts_json(const std::map<std::string, std::uint64_t>& m) {
  std::string out = "{";
  for (const auto& [k, v] : m) {
    out += fmt::format(R"({}"{}":{})", out.size() > 1 ? "," : "", k, v);
  }
  return out + "}";
}

std::uint64_t migration_count(const LoadResult& r) {
  std::uint64_t n = 0;
  for (const auto& [reason, count] : r.migrations) {
    n += count;
  }
  return n;
}

// The migrations line, first in the failover part: with no fault every one is a false
// positive, so it says so.
std::string migrations_line(const Report& r) {
  const std::uint64_t n = migration_count(r.load);
  std::string line =
      fmt::format("  {:<34}{:>14}  {}",
                  r.fail == "none" ? "MIGRATIONS (no fault: must be 0)" : "migrations",
                  n,
                  counts_json(r.load.migrations));
  if (r.fail == "none" && n > 0) {
    line += "  <- FALSE POSITIVES";
  }
  return line + "\n";
}

std::string metrics_json(const Report& r) {
  nlohmann::json lines = r.director_metrics;
  return fmt::format(R"("director_metrics":{},"director_metrics_error":{},)",
                     lines.dump(),
                     nlohmann::json(r.metrics_error).dump());
}

double tokens_per_s(const Report& r) {
  return r.seconds > 0 ? static_cast<double>(r.load.window_tokens) / r.seconds : 0;
}

double us(std::uint64_t ns) {
  return static_cast<double>(ns) / 1e3;
}

// {"count":..,"p50":..,"p99":..,"max":..} in microseconds.
std::string histogram_json(const Histogram& h) {
  return fmt::format(R"({{"count":{},"p50":{:.1f},"p99":{:.1f},"max":{:.1f}}})",
                     h.count(),
                     us(h.quantile(0.5)),
                     us(h.quantile(0.99)),
                     us(h.max()));
}

// "p50 / p99 / max" in milliseconds.
std::string histogram_ms(const Histogram& h) {
  return fmt::format("{:.3f} / {:.3f} / {:.3f}",
                     us(h.quantile(0.5)) / 1e3,
                     us(h.quantile(0.99)) / 1e3,
                     us(h.max()) / 1e3);
}

std::uint64_t streams(const Report& r) {
  return r.load.streams;
}

double rss_per_stream(const ProcReport& p, std::uint64_t n) {
  return n == 0 ? 0
                : (static_cast<double>(p.rss) - static_cast<double>(p.rss_idle)) /
                      static_cast<double>(n);
}

}  // namespace

std::string to_json(const Report& r) {
  const Histogram& h = r.load.latency;
  std::string out = fmt::format(
      R"({{"bench":"connswap-bench","front":"{}","target":"{}","spawned":{},"connections":{},)"
      R"("streams_per_connection":{},"streams":{},"threads":{},"worker_count":{},)"
      R"("token_interval_ms":{},"seconds":{:.3f},"warmup_s":{},"fail":"{}","fail_at_s":{},)"
      R"("loss_pct":{},)"
      R"("load_average":{{"start":{:.2f},"end":{:.2f}}},"setup_s":{:.3f},)"
      R"("tokens":{{"window":{},"total":{},"per_s":{:.1f},"without_emit_time":{}}},)"
      R"("latency_us":{{"count":{},"p50":{:.1f},"p99":{:.1f},"max":{:.1f}}},)",
      r.front,
      r.target,
      r.spawned,
      r.connections,
      r.streams_per_connection,
      streams(r),
      r.threads,
      r.workers,
      r.interval_ms,
      r.seconds,
      r.warmup,
      r.fail,
      r.fail_at,
      r.loss_pct,
      r.load_start,
      r.load_end,
      r.setup_seconds,
      r.load.window_tokens,
      r.load.total_tokens,
      tokens_per_s(r),
      r.load.no_emit_time,
      h.count(),
      us(h.quantile(0.5)),
      us(h.quantile(0.99)),
      us(h.max()));
  out += fmt::format(R"("requests":{},"ttft_us":{{"window":{},"opening":{}}},"token_gap_us":{},)",
                     r.load.requests,
                     histogram_json(r.load.ttft),
                     histogram_json(r.load.ttft_opening),
                     histogram_json(r.load.token_gap));
  out += fmt::format(R"("failover":{{"mode":"{}","migrations":{},"migrations_total":{},)"
                     R"("gap_beyond_interval_ms":{{)",
                     r.fail,
                     counts_json(r.load.migrations),
                     migration_count(r.load));
  bool first = true;
  for (auto& [reason, ns] : gaps_by_reason(r.load)) {
    out += fmt::format(R"({}"{}":{})", first ? "" : ",", reason, gap_json(gap_stats(ns)));
    first = false;
  }
  // The fault's instant on CLOCK_MONOTONIC (the clock every connswap process logs `now`
  // in), to line it up with a director's or worker's own timestamps; 0 = no fault.
  out += fmt::format(R"(}},"fault_to_resume_ms":{},"fault_at_monotonic_us":{}}},)",
                     gap_json(gap_stats(resume_delays(r))),
                     r.fault_at == kNever ? 0 : r.fault_at / kMicrosecond);
  if (r.director) {
    out += fmt::format(R"("director":{},"director_rss_per_stream_bytes":{:.0f},)",
                       proc_json(*r.director),
                       rss_per_stream(*r.director, streams(r)));
  }
  out += metrics_json(r);
  out += R"("workers":[)";
  for (std::size_t i = 0; i < r.workers_proc.size(); ++i) {
    out += (i ? "," : "") + proc_json(r.workers_proc[i]);
  }
  out += fmt::format(R"(],"bench_cpu_percent":{:.1f},"errors":{{"out_of_order":{},"duplicates":{},)"
                     R"("ended_early":{},"end_status":{},"connect_failures":{},"protocol":{}}}}})",
                     r.bench_cpu_percent,
                     r.load.out_of_order,
                     r.load.duplicates,
                     r.load.ended_early,
                     counts_json(r.load.end_status),
                     r.load.connect_failures,
                     counts_json(r.load.protocol_errors));
  return out;
}

std::string to_table(const Report& r) {
  const Histogram& h = r.load.latency;
  std::string out = fmt::format(
      "connswap-bench: front={} target={} streams={} ({} conn x {}) threads={} workers={} "
      "interval={}ms loss={}% fail={} window={:.1f}s load={:.2f}->{:.2f}\n",
      r.front,
      r.target,
      streams(r),
      r.connections,
      r.streams_per_connection,
      r.threads,
      r.workers,
      r.interval_ms,
      r.loss_pct,
      r.fail,
      r.seconds,
      r.load_start,
      r.load_end);
  out += migrations_line(r);
  out += fmt::format("  {:<34}{:>14.0f}\n", "tokens/s", tokens_per_s(r));
  out += fmt::format("  {:<34}{:>14} ms  (n={})\n",
                     "latency p50/p99/max",
                     fmt::format("{:.3f} / {:.3f} / {:.3f}",
                                 us(h.quantile(0.5)) / 1e3,
                                 us(h.quantile(0.99)) / 1e3,
                                 us(h.max()) / 1e3),
                     h.count());
  out += fmt::format("  {:<34}{:>14} ms  (n={}, requests sent in the window)\n",
                     "time to first token p50/p99/max",
                     histogram_ms(r.load.ttft),
                     r.load.ttft.count());
  out += fmt::format("  {:<34}{:>14} ms  (n={}, requests sent before it)\n",
                     "  opening requests",
                     histogram_ms(r.load.ttft_opening),
                     r.load.ttft_opening.count());
  out += fmt::format("  {:<34}{:>14} ms  (n={})\n",
                     "token gap p50/p99/max",
                     histogram_ms(r.load.token_gap),
                     r.load.token_gap.count());
  for (auto& [reason, ns] : gaps_by_reason(r.load)) {
    const GapStats g = gap_stats(ns);
    out += fmt::format("  {:<34}{:>14} ms  (streams={}, beyond the {} ms interval)\n",
                       "gap " + reason + " p50/p99/max",
                       fmt::format("{:.1f} / {:.1f} / {:.1f}", g.p50, g.p99, g.max),
                       g.count,
                       r.interval_ms);
  }
  if (const GapStats g = gap_stats(resume_delays(r)); g.count > 0) {
    out += fmt::format("  {:<34}{:>14} ms\n",
                       "fault -> resumed p50/p99/max",
                       fmt::format("{:.1f} / {:.1f} / {:.1f}", g.p50, g.p99, g.max));
  }
  auto proc_line = [&](const ProcReport& p) {
    out += fmt::format("  {:<34}cpu {:5.1f} %  rss {:.1f} MiB (idle {:.1f} MiB, max {:.1f} MiB)\n",
                       p.name,
                       p.cpu_percent,
                       static_cast<double>(p.rss) / 1048576.0,
                       static_cast<double>(p.rss_idle) / 1048576.0,
                       static_cast<double>(p.rss_max) / 1048576.0);
  };
  if (r.director) {
    proc_line(*r.director);
    out += fmt::format(
        "  {:<34}{:>14.0f} B\n", "director rss/stream", rss_per_stream(*r.director, streams(r)));
  }
  for (const ProcReport& w : r.workers_proc) {
    proc_line(w);
  }
  out +=
      fmt::format("  {:<34}cpu {:5.1f} %  ({} threads)\n", "bench", r.bench_cpu_percent, r.threads);
  out += fmt::format(
      "  {:<34}out_of_order={} duplicates={} ended_early={} connect_failures={} migrations={} "
      "requests={} protocol={}\n",
      "errors",
      r.load.out_of_order,
      r.load.duplicates,
      r.load.ended_early,
      r.load.connect_failures,
      counts_json(r.load.migrations),
      r.load.requests,
      counts_json(r.load.protocol_errors));
  if (!r.metrics_error.empty()) {
    out += fmt::format("  {:<34}{}\n", "director /metrics", r.metrics_error);
  }
  for (const std::string& line : r.director_metrics) {
    out += fmt::format("  {:<34}{}\n", "director /metrics", line);
  }
  return out;
}

Result<void> plot(const Report& r, Timestamp fault_at, const std::string& png) {
  const Timeline* chosen = nullptr;
  for (const Timeline& t : r.load.timelines) {
    if (!t.migrations.empty() && (chosen == nullptr || t.stream < chosen->stream)) {
      chosen = &t;
    }
  }
  if (chosen == nullptr) {
    for (const Timeline& t : r.load.timelines) {
      if (chosen == nullptr || t.stream < chosen->stream) {
        chosen = &t;
      }
    }
  }
  if (chosen == nullptr || chosen->points.empty()) {
    return make_error(Errc::kInvalidArgument, "--plot: no stream timeline recorded");
  }
  // Time axis in ms from the fault (or from the migration, or the first point).
  const Timestamp zero = fault_at != kNever            ? fault_at
                         : !chosen->migrations.empty() ? chosen->migrations.front()
                                                       : chosen->points.front().at;
  auto ms = [zero](Timestamp t) {
    return (static_cast<double>(t) - static_cast<double>(zero)) / 1e6;
  };
  const double pad = std::max(5 * r.interval_ms, 20.0);
  const double lo = -pad;
  const double hi = (chosen->migrations.empty() ? 0 : ms(chosen->migrations.back())) + pad;
  const std::string data = png + ".dat";
  {
    std::ofstream out(data);
    out << "# ms_since_fault seq epoch\n";
    for (const TimelinePoint& p : chosen->points) {
      if (const double x = ms(p.at); x >= lo && x <= hi) {
        out << fmt::format("{:.3f} {} {}\n", x, p.seq, p.epoch);
      }
    }
  }
  std::string script = fmt::format(
      "set terminal pngcairo size 1100,500 font ',10'\n"
      "set output '{}'\n"
      "set title \"connswap-bench: stream #{} token arrivals at the client (fail={}, {} "
      "streams, interval {} ms)\"\n"
      "set xlabel 'ms since the fault was injected'\nset ylabel 'token seq'\n"
      "set key top left\nset grid\nset xrange [{}:{}]\n",
      png,
      chosen->stream,
      r.fail,
      streams(r),
      r.interval_ms,
      lo,
      hi);
  if (fault_at != kNever) {
    script +=
        "set arrow from 0, graph 0 to 0, graph 1 nohead lc rgb 'red' dt 2\n"
        "set label 'fault' at 0, graph 0.97 offset 0.5,0 tc rgb 'red'\n";
  }
  for (Timestamp m : chosen->migrations) {
    script += fmt::format(
        "set arrow from {0:.3f}, graph 0 to {0:.3f}, graph 1 nohead lc rgb 'blue' dt 3\n"
        "set label 'Migrated' at {0:.3f}, graph 0.90 offset 0.5,0 tc rgb 'blue'\n",
        ms(m));
  }
  script += "plot ";
  const std::size_t epochs = chosen->migrations.size() + 1;
  for (std::size_t e = 0; e < epochs; ++e) {
    const std::string w = e < chosen->workers.size() ? chosen->workers[e] : "worker";
    script +=
        fmt::format("{}'{}' using 1:($3=={} ? $2 : 1/0) with linespoints pt 7 ps 0.7 title '{}'",
                    e ? ", " : "",
                    data,
                    e,
                    w);
  }
  script += "\n";
  const std::string script_path = png + ".gp";
  std::ofstream(script_path) << script;
  const std::string cmd = "gnuplot '" + script_path + "' 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) {
    return make_error(Errc::kIo, "--plot: cannot run gnuplot");
  }
  std::string output;
  char buf[256];
  while (std::fgets(buf, sizeof buf, p) != nullptr) {
    output += buf;
  }
  if (::pclose(p) != 0) {
    return make_error(Errc::kIo, "--plot: gnuplot failed (apt-get install gnuplot-nox): " + output);
  }
  return {};
}

}  // namespace connswap::bench
