// The status page as server-rendered HTML (tables readable without JavaScript) and the gap
// chart as inline SVG. Every snapshot string goes through html_escape.

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "front/detail/status_assets.h"
#include "front/status_page.h"

namespace connswap::front {
namespace {

using services::GapHistogram;

std::string human(Duration d) {
  const double ms = static_cast<double>(d) / static_cast<double>(kMillisecond);
  if (ms < 1'000) {
    return fmt::format("{:.0f} ms", ms);
  }
  if (ms < 120'000) {
    return fmt::format("{:.1f} s", ms / 1'000);
  }
  return fmt::format("{:.0f} min", ms / 60'000);
}

// A <td> with the value JavaScript sorts by.
void num_cell(std::string& out, double value, std::string_view text) {
  fmt::format_to(
      std::back_inserter(out), R"(<td class="num" data-value="{}">{}</td>)", value, text);
}

void text_cell(std::string& out, std::string_view text, std::string_view cls = {}) {
  if (cls.empty()) {
    fmt::format_to(std::back_inserter(out), "<td>{}</td>", html_escape(text));
  } else {
    fmt::format_to(std::back_inserter(out), R"(<td class="{}">{}</td>)", cls, html_escape(text));
  }
}

void render_workers(std::string& out, const std::vector<services::StatusWorker>& workers) {
  out += R"(<h2>Workers</h2><table id="workers" class="sortable"><thead><tr><th>label</th>)"
         R"(<th>address</th><th>health</th><th data-num>streams</th><th data-num>tokens/s</th>)"
         R"(<th data-num>failures</th><th data-num>last heartbeat</th></tr></thead><tbody>)";
  for (const services::StatusWorker& w : workers) {
    const std::string health = html_escape(w.health);
    fmt::format_to(std::back_inserter(out),
                   R"(<tr class="h-{}" data-worker="{}" data-health="{}">)",
                   health,
                   html_escape(w.label),
                   health);
    text_cell(out, w.label);
    text_cell(out, w.address);
    text_cell(out, w.health, "health h-" + health);
    num_cell(out, w.streams, std::to_string(w.streams));
    num_cell(out, w.tokens_per_s, fmt::format("{:.1f}", w.tokens_per_s));
    num_cell(out, static_cast<double>(w.failures), std::to_string(w.failures));
    num_cell(out,
             static_cast<double>(w.heartbeat_age) / static_cast<double>(kMillisecond),
             human(w.heartbeat_age) + " ago");
    out += "</tr>";
  }
  if (workers.empty()) {
    out += R"(<tr><td colspan="7" class="muted">no worker has registered</td></tr>)";
  }
  out += "</tbody></table>";
}

void render_migrations(std::string& out, const services::StatusStream& s) {
  fmt::format_to(std::back_inserter(out),
                 R"(<td class="migrations" data-value="{}" data-count="{}">{})",
                 s.migration_count,
                 s.migration_count,
                 s.migration_count);
  for (const services::StatusMigration& m : s.migrations) {
    fmt::format_to(std::back_inserter(out),
                   R"(<div class="mig">{} &rarr; {}: {} ({} ago)</div>)",
                   html_escape(m.from),
                   html_escape(m.to),
                   html_escape(m.reason),
                   human(m.ago));
  }
  out += "</td>";
}

void render_streams(std::string& out, const StatusPage& page) {
  fmt::format_to(std::back_inserter(out),
                 R"(<h2>Streams</h2><p id="stream-count" data-shown="{}" data-total="{}">)"
                 R"(showing {} of {} streams, sorted by {})"
                 R"( <span class="muted">(sort: )",
                 page.streams.size(),
                 page.total_streams,
                 page.streams.size(),
                 page.total_streams,
                 to_string(page.sort));
  for (const auto sort : {StreamSort::kMigrations,
                          StreamSort::kAge,
                          StreamSort::kTokens,
                          StreamSort::kConnection,
                          StreamSort::kWorker,
                          StreamSort::kState}) {
    fmt::format_to(std::back_inserter(out), R"( <a href="?sort={0}">{0}</a>)", to_string(sort));
  }
  out += R"()</span></p><table id="streams" class="sortable"><thead><tr><th>connection</th>)"
         R"(<th data-num>stream</th><th>state</th><th>worker</th><th data-num>tokens</th>)"
         R"(<th data-num>migrations</th><th data-num>age</th></tr></thead><tbody>)";
  for (const services::StatusStream& s : page.streams) {
    fmt::format_to(std::back_inserter(out),
                   R"(<tr data-connection="{}" data-stream="{}">)",
                   html_escape(s.connection_id),
                   s.stream_id);
    text_cell(out, s.connection_id);
    num_cell(out, static_cast<double>(s.stream_id), std::to_string(s.stream_id));
    text_cell(out, s.state);
    text_cell(out, s.worker.empty() ? "-" : s.worker);
    num_cell(out, static_cast<double>(s.tokens), std::to_string(s.tokens));
    render_migrations(out, s);
    num_cell(out, static_cast<double>(s.age) / static_cast<double>(kMillisecond), human(s.age));
    out += "</tr>";
  }
  if (page.streams.empty()) {
    out += R"(<tr><td colspan="7" class="muted">no open stream</td></tr>)";
  }
  out += "</tbody></table>";
}

}  // namespace

std::string render_gap_svg(const GapHistogram& gaps) {
  constexpr int kWidth = 600, kHeight = 170, kBase = 130, kBarArea = 110;
  const std::size_t n = gaps.counts.size();
  const double bar = static_cast<double>(kWidth - 20) / static_cast<double>(n);
  const std::uint64_t top =
      std::max<std::uint64_t>(1, *std::max_element(gaps.counts.begin(), gaps.counts.end()));
  std::string out = fmt::format(
      R"(<svg xmlns="http://www.w3.org/2000/svg" width="{0}" height="{1}" viewBox="0 0 {0} {1}")"
      R"( role="img" aria-label="failover gap distribution" font-size="10" font-family="sans-serif">)",
      kWidth,
      kHeight);
  for (std::size_t i = 0; i < n; ++i) {
    const double h = static_cast<double>(gaps.counts[i]) * kBarArea / static_cast<double>(top);
    const double x = 10 + static_cast<double>(i) * bar;
    const std::string label = i < GapHistogram::kBoundsMs.size()
                                  ? (GapHistogram::kBoundsMs[i] >= 1'000
                                         ? fmt::format("{}s", GapHistogram::kBoundsMs[i] / 1e3)
                                         : fmt::format("{}ms", GapHistogram::kBoundsMs[i]))
                                  : std::string("+Inf");
    fmt::format_to(std::back_inserter(out),
                   R"(<rect class="bucket" x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}")"
                   R"( fill="#0969da" data-count="{}"><title>&lt;= {}: {}</title></rect>)"
                   R"(<text x="{:.1f}" y="{}" text-anchor="middle">{}</text>)",
                   x + 2,
                   kBase - h,
                   bar - 4,
                   h,
                   gaps.counts[i],
                   label,
                   gaps.counts[i],
                   x + bar / 2,
                   kBase + 14,
                   label);
    if (gaps.counts[i] > 0) {
      fmt::format_to(std::back_inserter(out),
                     R"(<text x="{:.1f}" y="{:.1f}" text-anchor="middle">{}</text>)",
                     x + bar / 2,
                     kBase - h - 3,
                     gaps.counts[i]);
    }
  }
  fmt::format_to(std::back_inserter(out),
                 R"(<line x1="10" y1="{0}" x2="{1}" y2="{0}" stroke="#888"/>)"
                 R"(<text x="10" y="{2}">{3} gaps, max {4}, mean {5}</text></svg>)",
                 kBase,
                 kWidth - 10,
                 kHeight - 4,
                 gaps.total,
                 human(gaps.max),
                 human(gaps.total == 0 ? 0 : gaps.sum / static_cast<Duration>(gaps.total)));
  return out;
}

std::string render_status_html(const StatusPage& page) {
  std::string out;
  out.reserve(4096 + page.workers.size() * 400 + page.streams.size() * 400);
  out += R"(<!doctype html><html lang="en"><head><meta charset="utf-8">)"
         R"(<meta name="viewport" content="width=device-width, initial-scale=1">)"
         R"(<title>connswap director status</title><style>)";
  out += detail::kStatusCss;
  std::size_t healthy = 0;
  for (const services::StatusWorker& w : page.workers) {
    healthy += w.health == "healthy" ? 1 : 0;
  }
  fmt::format_to(
      std::back_inserter(out),
      R"(</style></head><body><h1>connswap director</h1><p id="summary">{} of {})"
      R"( workers healthy, {} open streams, failovers measured: {}</p><div id="tables">)",
      healthy,
      page.workers.size(),
      page.total_streams,
      page.gaps.total);
  render_workers(out, page.workers);
  render_streams(out, page);
  out += R"(</div><div class="cols"><div><h2>Failover gaps</h2><div id="gaps">)";
  out += render_gap_svg(page.gaps);
  out += R"(</div></div><div><h2>Live feed</h2><ol id="feed"></ol><p id="feed-empty" )"
         R"(class="muted">migrations and worker changes appear here as they happen )"
         R"((needs JavaScript)</p></div></div><p class="muted">JSON: <a href="/debug/workers">)"
         R"(/debug/workers</a> <a href="/debug/streams">/debug/streams</a> )"
         R"(<a href="/debug/gaps">/debug/gaps</a>, live: /debug/events (SSE)</p><script>)";
  out += detail::kStatusJs;
  out += "</script></body></html>";
  return out;
}

}  // namespace connswap::front
