// libFuzzer target for src/http's SseDecoder (a model server's event stream).
//
// Input: byte 0 picks the limits; byte 1 the number of cuts n (0-7); the next 2n bytes the
// cut points (little-endian, modulo the stream's size + 1, sorted); the rest is the stream.
// Besides "no crash, no sanitizer report" it checks that the events, the error and
// mid_event() are the same for the whole stream, the cut one and (short streams) byte by
// byte; that no event passes the limits or carries a CR, LF or NUL where the spec forbids
// one; that a failed decoder stays failed; and that sse_event() of each event decodes back to
// it. Run: scripts/fuzz.sh.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/sse.h"
#include "http/sse_decoder.h"

namespace {

namespace http = connswap::http;

struct Outcome {
  std::vector<std::string> fields;  // data, event, id of each event in turn
  std::optional<connswap::Errc> error;
  bool mid_event = false;
  bool operator==(const Outcome&) const = default;
};

Outcome decode(std::string_view stream,
               const std::vector<std::size_t>& cuts,
               http::SseLimits limits) {
  http::SseDecoder decoder(limits);
  std::vector<http::SseEvent> events;
  Outcome out;
  std::size_t at = 0;
  for (std::size_t i = 0; i <= cuts.size() && !out.error; ++i) {
    const std::size_t end = i < cuts.size() ? cuts[i] : stream.size();
    if (auto r = decoder.feed(stream.substr(at, end - at), events); !r) {
      out.error = r.error().code;
      if (decoder.feed("\n\n", events) || !decoder.mid_event()) {
        std::abort();  // a failed decoder stays failed
      }
    }
    at = end;
  }
  for (auto& e : events) {
    out.fields.push_back(std::move(e.data));
    out.fields.push_back(std::move(e.event));
    out.fields.push_back(std::move(e.id));
  }
  out.mid_event = decoder.mid_event();
  return out;
}

void check_event(std::string_view data,
                 std::string_view event,
                 std::string_view id,
                 const http::SseLimits& limits) {
  const auto no_line_end = [](std::string_view s) {
    return s.find_first_of("\r\n") == std::string_view::npos;
  };
  if (data.size() > limits.max_event_bytes || event.size() > limits.max_line_bytes ||
      id.size() > limits.max_line_bytes || data.find('\r') != std::string_view::npos ||
      !no_line_end(event) || !no_line_end(id) || id.find('\0') != std::string_view::npos) {
    std::abort();
  }
  // The encoder's event decodes back to the same data and id (data never holds a CR).
  const auto encoded = http::sse_event(data, id);
  if (!encoded) {
    std::abort();
  }
  const Outcome back = decode(*encoded, {}, {});
  if (back.error || back.mid_event ||
      back.fields != std::vector<std::string>{std::string(data), "", std::string(id)}) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) {
    return 0;
  }
  const http::SseLimits limits{.max_line_bytes = std::size_t{1} + data[0] % 64,
                               .max_event_bytes = std::size_t{1} + (data[0] >> 2U) % 96};
  const std::size_t n = std::min<std::size_t>(data[1] % 8, (size - 2) / 2);
  const std::string_view stream(reinterpret_cast<const char*>(data) + 2 + 2 * n, size - 2 - 2 * n);
  std::vector<std::size_t> cuts;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t raw = data[2 + 2 * i] | (std::size_t{data[3 + 2 * i]} << 8U);
    cuts.push_back(raw % (stream.size() + 1));
  }
  std::sort(cuts.begin(), cuts.end());
  const Outcome whole = decode(stream, {}, limits);
  if (decode(stream, cuts, limits) != whole) {
    std::abort();  // the decoder must not depend on how bytes arrive
  }
  if (stream.size() <= 512) {
    std::vector<std::size_t> every;
    for (std::size_t i = 1; i < stream.size(); ++i) {
      every.push_back(i);
    }
    if (decode(stream, every, limits) != whole) {
      std::abort();
    }
  }
  for (std::size_t i = 0; i + 2 < whole.fields.size(); i += 3) {
    check_event(whole.fields[i], whole.fields[i + 1], whole.fields[i + 2], limits);
  }
  return 0;
}
