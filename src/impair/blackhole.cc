#include "impair/blackhole.h"

#include <algorithm>
#include <charconv>

namespace connswap::impair {

namespace {

bool parse_ms(std::string_view text, Duration& out) {
  std::uint64_t ms = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() ||
      ms > kNever / kMillisecond) {
    return false;
  }
  out = ms * kMillisecond;
  return true;
}

}  // namespace

Result<Window> parse_window(const std::string& text) {
  const std::size_t plus = text.find('+');
  Window w;
  if (plus == std::string::npos || !parse_ms(std::string_view(text).substr(0, plus), w.start) ||
      !parse_ms(std::string_view(text).substr(plus + 1), w.length) || w.length == 0) {
    return make_error(Errc::kInvalidArgument,
                      "blackhole window '" + text + "': expected START_MS+LENGTH_MS, length > 0");
  }
  return w;
}

Blackhole::Blackhole(Timestamp origin, const std::vector<Window>& windows) {
  for (const Window& w : windows) {
    spans_.push_back({origin + w.start, origin + w.start + w.length});
  }
}

void Blackhole::trigger(Timestamp now, Duration length) {
  spans_.push_back({now, now + length});
}

bool Blackhole::active(Timestamp now) const {
  return std::any_of(
      spans_.begin(), spans_.end(), [now](const Span& s) { return s.from <= now && now < s.to; });
}

Timestamp Blackhole::next_change(Timestamp now) const {
  // Candidates are span edges after now; the first one where active() flips.
  std::vector<Timestamp> edges;
  for (const Span& s : spans_) {
    for (Timestamp t : {s.from, s.to}) {
      if (t > now) {
        edges.push_back(t);
      }
    }
  }
  std::sort(edges.begin(), edges.end());
  const bool now_active = active(now);
  for (Timestamp t : edges) {
    if (active(t) != now_active) {
      return t;
    }
  }
  return kNever;
}

}  // namespace connswap::impair
