#include "http/sse.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace connswap::http {
namespace {

TEST(Sse, EventBytes) {
  EXPECT_EQ(sse_event("{\"a\":1}"), "data: {\"a\":1}\n\n");
  EXPECT_EQ(sse_event("[DONE]"), "data: [DONE]\n\n");
  EXPECT_EQ(sse_event(""), "data: \n\n");
  EXPECT_EQ(sse_event(" lead"), "data:  lead\n\n");  // parsers drop exactly one space
  EXPECT_EQ(sse_event("a\nb"), "data: a\ndata: b\n\n");
  EXPECT_EQ(sse_event("a\r\nb\rc\n"), "data: a\ndata: b\ndata: c\ndata: \n\n");
}

TEST(Sse, EventWithId) {
  EXPECT_EQ(sse_event("x", "t.31").value(), "id: t.31\ndata: x\n\n");
  EXPECT_EQ(sse_event("x", "").value(), "id: \ndata: x\n\n");  // resets the last event ID
  for (const std::string_view bad : {std::string_view("a\nb"),
                                     std::string_view("a\rb"),
                                     std::string_view("a\0b", 3),
                                     std::string_view("\n")}) {
    EXPECT_FALSE(valid_sse_id(bad));
    const auto r = sse_event("x", bad);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
  }
  EXPECT_TRUE(valid_sse_id("eyJ0IjoxfQ.c2ln-_"));
}

TEST(Sse, CommentBytes) {
  EXPECT_EQ(sse_comment("migrated from=worker-a to=worker-b reason=error resume_seq=31"),
            ": migrated from=worker-a to=worker-b reason=error resume_seq=31\n");
  EXPECT_EQ(sse_comment("a\nb\r\nc"), ": a\n: b\n: c\n");
  EXPECT_EQ(sse_comment(""), ": \n");
}

struct Event {
  std::string data;
  std::string id;
  bool operator==(const Event&) const = default;
};

// Splits at CRLF, LF or CR (WHATWG HTML §9.2.5); the last piece is unterminated.
std::vector<std::string_view> lines_of(std::string_view stream) {
  std::vector<std::string_view> lines;
  while (true) {
    const std::size_t end = stream.find_first_of("\r\n");
    if (end == std::string_view::npos) {
      return lines;  // an unterminated line is not processed
    }
    lines.push_back(stream.substr(0, end));
    const bool crlf = stream[end] == '\r' && end + 1 < stream.size() && stream[end + 1] == '\n';
    stream.remove_prefix(end + (crlf ? 2 : 1));
  }
}

// The event-stream interpretation of WHATWG HTML §9.2.6 (data and id fields). With
// `sticky_id_dispatch`, a blank line also dispatches when only the (sticky) last event ID
// is set, as the openai Python SDK's SSEDecoder.decode() does.
std::vector<Event> decode(std::string_view stream, bool sticky_id_dispatch = false) {
  std::vector<Event> events;
  std::string data;
  bool has_data = false;
  std::string last_id;
  for (const std::string_view line : lines_of(stream)) {
    if (line.empty()) {
      if (has_data || (sticky_id_dispatch && !last_id.empty())) {
        if (!data.empty() && data.back() == '\n') {
          data.pop_back();
        }
        events.push_back({data, last_id});
      }
      data.clear();
      has_data = false;
      continue;
    }
    if (line.front() == ':') {
      continue;
    }
    const std::size_t colon = line.find(':');
    const std::string_view field = line.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') {
      value.remove_prefix(1);
    }
    if (field == "data") {
      data.append(value).push_back('\n');
      has_data = true;
    } else if (field == "id" && value.find('\0') == std::string_view::npos) {
      last_id = value;
    }
  }
  return events;
}

TEST(Sse, ParsersReadBackWhatWasWritten) {
  const std::vector<std::string> payloads = {
      "{\"x\":\"y\"}", "", "two\nlines", "  spaced  ", "[DONE]"};
  std::string stream;
  std::vector<Event> expected;
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    const std::string id = "id-" + std::to_string(i);
    stream += sse_comment("note " + std::to_string(i));
    stream += sse_event(payloads[i], id).value();
    expected.push_back({payloads[i], id});
  }
  EXPECT_EQ(decode(stream), expected);
  EXPECT_EQ(decode(stream, /*sticky_id_dispatch=*/true), expected);
  EXPECT_EQ(decode(sse_event("a\r\nb\rc")), (std::vector<Event>{{"a\nb\nc", ""}}));
}

TEST(Sse, ACommentNeverBecomesAnEmptyEventForTheOpenAiSdk) {
  const std::string first = sse_event("{\"n\":1}", "7").value();
  const std::string second = sse_event("{\"n\":2}", "8").value();
  // A comment in its own blank-line-ended block would reach the SDK as an event with
  // empty data (its last event ID is sticky), which it then fails to parse as JSON.
  const auto standalone = decode(first + ": migrated\n\n" + second, true);
  EXPECT_EQ(standalone.size(), 3u);
  EXPECT_EQ(standalone.at(1), (Event{"", "7"}));
  // sse_comment() writes only the comment line, which the next event carries along.
  const auto ours = decode(first + sse_comment("migrated") + second, true);
  EXPECT_EQ(ours, (std::vector<Event>{{"{\"n\":1}", "7"}, {"{\"n\":2}", "8"}}));
}

}  // namespace
}  // namespace connswap::http
