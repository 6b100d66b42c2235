#include "http/sse_decoder.h"

#include <algorithm>
#include <utility>

namespace connswap::http {

namespace {

// WHATWG HTML §9.2.6: one U+FEFF BYTE ORDER MARK at the start of the stream is ignored.
constexpr std::string_view kBom = "\xEF\xBB\xBF";

// The first CR or LF of `text` at or after `from`, or npos. A plain loop, as in sse.cc:
// find_first_of("\r\n") calls memchr over the set once per byte.
std::size_t find_line_end(std::string_view text, std::size_t from) {
  for (std::size_t i = from; i < text.size(); ++i) {
    if (text[i] == '\n' || text[i] == '\r') {
      return i;
    }
  }
  return std::string_view::npos;
}

// The leading bytes of the stream's first (partial) line that are a BOM or its beginning.
std::size_t bom_bytes(std::string_view line) {
  const std::size_t n = std::min(line.size(), kBom.size());
  return line.substr(0, n) == kBom.substr(0, n) ? n : 0;
}

// The length check for a line or the part of it received so far. A BOM does not count, so
// that the outcome is the same however the bytes are split.
Result<void> check_line(std::string_view line, bool at_start, const SseLimits& limits) {
  const std::size_t bytes = line.size() - (at_start ? bom_bytes(line) : 0);
  if (bytes > limits.max_line_bytes) {
    return make_error(Errc::kResourceExhausted,
                      "SSE line longer than " + std::to_string(limits.max_line_bytes) + " bytes");
  }
  return {};
}

// One non-empty line (§9.2.6 "process the field"): comments, data, event, id; the rest is
// ignored (retry included: the worker does not reconnect by itself).
Result<void> process_line(std::string_view line,
                          SseEvent& pending,
                          bool& has_data,
                          const SseLimits& limits) {
  if (line.front() == ':') {
    return {};  // a comment
  }
  const std::size_t colon = line.find(':');
  const std::string_view field = line.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') {
    value.remove_prefix(1);
  }
  if (field == "data") {
    // The joined data: what is there (its last LF becomes the separator) plus this value.
    if (pending.data.size() + value.size() > limits.max_event_bytes) {
      return make_error(
          Errc::kResourceExhausted,
          "SSE event data longer than " + std::to_string(limits.max_event_bytes) + " bytes");
    }
    pending.data.append(value);
    pending.data.push_back('\n');
    has_data = true;
  } else if (field == "event") {
    pending.event.assign(value);
  } else if (field == "id" && value.find('\0') == std::string_view::npos) {
    pending.id.assign(value);
  }
  return {};
}

}  // namespace

SseDecoder::SseDecoder(SseLimits limits) : limits_(limits) {}

// A failed decoder stopped inside the line or event that passed its limit.
bool SseDecoder::mid_event() const {
  return failed_ || !line_.empty() || has_data_ || !pending_.event.empty() || !pending_.id.empty();
}

Result<void> SseDecoder::feed(std::string_view bytes, std::vector<SseEvent>& out) {
  if (failed_) {
    return make_error(Errc::kResourceExhausted, "SSE stream passed a limit earlier");
  }
  std::size_t at = 0;
  // A CR ended the previous feed: an LF right here is the second half of that CRLF.
  if (after_cr_ && !bytes.empty()) {
    after_cr_ = false;
    at = bytes.front() == '\n' ? 1 : 0;
  }
  while (at < bytes.size()) {
    const std::size_t end = find_line_end(bytes, at);
    std::string_view line = bytes.substr(at, end == std::string_view::npos ? end : end - at);
    if (!line_.empty() || end == std::string_view::npos) {
      line_.append(line);  // only a line that straddles feeds is copied
      line = line_;
    }
    if (auto r = check_line(line, at_start_, limits_); !r) {
      failed_ = true;
      return r;
    }
    if (end == std::string_view::npos) {
      return {};
    }
    if (at_start_) {
      at_start_ = false;
      line.remove_prefix(line.starts_with(kBom) ? kBom.size() : 0);
    }
    if (line.empty()) {
      // §9.2.6 "dispatch the event": only if a data line came; drop the last LF.
      if (has_data_) {
        pending_.data.pop_back();
        out.push_back(std::move(pending_));
      }
      pending_ = SseEvent{};
      has_data_ = false;
    } else if (auto r = process_line(line, pending_, has_data_, limits_); !r) {
      failed_ = true;
      return r;
    }
    line_.clear();
    at = end + 1;
    if (bytes[end] == '\r') {
      if (end + 1 == bytes.size()) {
        after_cr_ = true;  // the LF of a CRLF may come with the next feed
      } else if (bytes[end + 1] == '\n') {
        ++at;
      }
    }
  }
  return {};
}

}  // namespace connswap::http
