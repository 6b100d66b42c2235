// SseDecoder: WHATWG event-stream interpretation, however the bytes are split, and read
// back against the encoder in sse.h.

#include "http/sse_decoder.h"

#include <array>
#include <cstddef>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "http/sse.h"

namespace connswap::http {
namespace {

// SseEvent has no operator== (the header stays minimal); tests compare this instead.
struct Ev {
  std::string data;
  std::string event;
  std::string id;
  bool operator==(const Ev&) const = default;
  friend std::ostream& operator<<(std::ostream& os, const Ev& e) {
    return os << "{data=" << testing::PrintToString(e.data)
              << " event=" << testing::PrintToString(e.event)
              << " id=" << testing::PrintToString(e.id) << "}";
  }
};
using Evs = std::vector<Ev>;

struct Outcome {
  Evs events;
  std::optional<Errc> error;  // the first error, if any
  bool mid_event = false;     // after the last feed
  bool operator==(const Outcome&) const = default;
  friend std::ostream& operator<<(std::ostream& os, const Outcome& o) {
    os << testing::PrintToString(o.events) << " error=" << (o.error ? to_string(*o.error) : "-");
    return os << " mid_event=" << o.mid_event;
  }
};

// Feeds `stream` in the pieces that `cuts` (ascending offsets) delimit, stopping at the
// first error as a caller would.
Outcome decode_cut(std::string_view stream,
                   const std::vector<std::size_t>& cuts,
                   SseLimits limits = {}) {
  SseDecoder decoder(limits);
  Outcome out;
  std::vector<SseEvent> events;
  std::size_t at = 0;
  for (std::size_t i = 0; i <= cuts.size() && !out.error; ++i) {
    const std::size_t end = i < cuts.size() ? cuts[i] : stream.size();
    if (auto r = decoder.feed(stream.substr(at, end - at), events); !r) {
      out.error = r.error().code;
    }
    at = end;
  }
  for (auto& e : events) {
    out.events.push_back({std::move(e.data), std::move(e.event), std::move(e.id)});
  }
  out.mid_event = decoder.mid_event();
  return out;
}

Outcome decode(std::string_view stream, SseLimits limits = {}) {
  return decode_cut(stream, {}, limits);
}

// Decodes whole, then at every single cut point, every pair of cut points (short streams)
// and byte by byte; every way must give the whole-feed outcome, which is returned.
Outcome decode_every_split(std::string_view stream, SseLimits limits = {}) {
  Outcome whole = decode(stream, limits);
  for (std::size_t i = 0; i <= stream.size(); ++i) {
    EXPECT_EQ(decode_cut(stream, {i}, limits), whole) << "cut at " << i;
    if (stream.size() <= 96) {
      for (std::size_t j = i; j <= stream.size(); ++j) {
        EXPECT_EQ(decode_cut(stream, {i, j}, limits), whole) << "cuts at " << i << ", " << j;
      }
    }
  }
  std::vector<std::size_t> every;
  for (std::size_t i = 1; i < stream.size(); ++i) {
    every.push_back(i);
  }
  EXPECT_EQ(decode_cut(stream, every, limits), whole) << "byte by byte";
  return whole;
}

Evs data_only(std::initializer_list<std::string> data) {
  Evs out;
  for (const auto& d : data) {
    out.push_back({d, "", ""});
  }
  return out;
}

// What llama-cpp-python 0.3.36 sends for a 2-token /v1/completions stream (notes/llm-backend).
constexpr std::string_view kLlamaCompletions =
    R"(data: {"id":"cmpl-1","object":"text_completion","created":1,"model":"tiny.gguf",)"
    R"("choices":[{"text":"h","index":0,"logprobs":null,"finish_reason":null}]})"
    "\n\n"
    R"(data: {"id":"cmpl-1","object":"text_completion","created":1,"model":"tiny.gguf",)"
    R"("choices":[{"text":"","index":0,"logprobs":null,"finish_reason":"length"}]})"
    "\n\n"
    "data: [DONE]\n\n";

// vLLM's chat stream with include_usage: role delta, content, finish, usage-only chunk.
constexpr std::string_view kVllmChat =
    R"(data: {"id":"chatcmpl-9","object":"chat.completion.chunk","created":1,"model":"m",)"
    R"("choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,)"
    R"("finish_reason":null}],"usage":null})"
    "\n\n"
    R"(data: {"id":"chatcmpl-9","object":"chat.completion.chunk","created":1,"model":"m",)"
    R"("choices":[{"index":0,"delta":{"content":"Hi"},"logprobs":null,"finish_reason":"stop",)"
    R"("stop_reason":null}],"usage":null})"
    "\n\n"
    R"(data: {"id":"chatcmpl-9","object":"chat.completion.chunk","created":1,"model":"m",)"
    R"("choices":[],"usage":{"prompt_tokens":5,"total_tokens":6,"completion_tokens":1}})"
    "\n\n"
    "data: [DONE]\n\n";

// The data payloads of a stream made only of "data: <payload>\n\n" blocks.
std::vector<std::string> payloads_of(std::string_view stream) {
  std::vector<std::string> out;
  while (!stream.empty()) {
    const std::size_t end = stream.find("\n\n");
    out.emplace_back(stream.substr(6, end - 6));  // after "data: "
    stream.remove_prefix(end + 2);
  }
  return out;
}

TEST(SseDecoder, LlamaCppCompletionsStreamAtEverySplit) {
  const Outcome out = decode_every_split(kLlamaCompletions);
  EXPECT_FALSE(out.error);
  EXPECT_FALSE(out.mid_event);
  ASSERT_EQ(out.events.size(), 3u);
  const auto payloads = payloads_of(kLlamaCompletions);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(out.events[i], (Ev{payloads[i], "", ""}));
  }
  EXPECT_EQ(out.events[2].data, "[DONE]");
}

TEST(SseDecoder, VllmChatStreamAtEverySplit) {
  const Outcome out = decode_every_split(kVllmChat);
  ASSERT_EQ(out.events.size(), 4u);
  EXPECT_EQ(out.events[3].data, "[DONE]");
  EXPECT_EQ(out.events[2].data.substr(0, 7), "{\"id\":\"");
  EXPECT_FALSE(out.mid_event);
}

TEST(SseDecoder, StarletteCrLfStreamAtEverySplit) {
  // sse-starlette (behind many Python servers) ends lines with CRLF.
  const Outcome out =
      decode_every_split("data: {\"a\":1}\r\n\r\n: ping\r\n\r\ndata: [DONE]\r\n\r\n");
  EXPECT_EQ(out.events, data_only({"{\"a\":1}", "[DONE]"}));
  EXPECT_FALSE(out.mid_event);
}

TEST(SseDecoder, LineEndsCrLfAndCrLfMixed) {
  EXPECT_EQ(decode_every_split("data: a\rdata: b\ndata: c\r\ndata: d\r\r").events,
            data_only({"a\nb\nc\nd"}));
  EXPECT_EQ(decode_every_split("data: a\n\rdata: b\r\n\ndata: c\r\r\n").events,
            data_only({"a", "b", "c"}));
  // LF CR is two line ends, CR LF one: "\n\r" after a line is a blank line.
  EXPECT_EQ(decode_every_split("data: a\n\r\n").events, data_only({"a"}));
  EXPECT_EQ(decode_every_split("data: a\r\n\r\n\r\n").events, data_only({"a"}));
}

TEST(SseDecoder, CrAtTheEndOfOneFeedAndLfAtTheStartOfTheNextAreOneLineEnd) {
  // Were they two line ends, the LF would be a blank line and dispatch "a" alone.
  EXPECT_EQ(decode_cut("data: a\r\ndata: b\r\n\r\n", {8}).events, data_only({"a\nb"}));
  // An empty feed in between keeps the pending CR.
  EXPECT_EQ(decode_cut("data: a\r\ndata: b\n\n", {8, 8, 8}).events, data_only({"a\nb"}));
  // A CR then something else: the CR alone ended the line.
  EXPECT_EQ(decode_cut("data: a\rdata: b\n\n", {8}).events, data_only({"a\nb"}));
  EXPECT_EQ(decode_cut("data: a\r\rdata: b\n\n", {8, 9}).events, data_only({"a", "b"}));
}

TEST(SseDecoder, FieldsAndValues) {
  struct Case {
    std::string_view stream;
    Evs events;
  };
  const auto cases = std::to_array<Case>({
      {"data:x\n\n", data_only({"x"})},
      {"data: x\n\n", data_only({"x"})},
      {"data:  x \n\n", data_only({" x "})},  // exactly one space is removed
      {"data\n\n", data_only({""})},          // no colon: the name, an empty value
      {"data:\n\n", data_only({""})},
      {"data: \n\n", data_only({""})},
      {"data: a\ndata:\ndata: b\n\n", data_only({"a\n\nb"})},
      {"data: a:b: c\n\n", data_only({"a:b: c"})},  // only the first colon splits
      {"data: a\n\ndata: b\n\n", data_only({"a", "b"})},
      {"event: add\ndata: 1\nid: 7\n\n", {{"1", "add", "7"}}},
      {"event: a\nevent: b\ndata: 1\n\n", {{"1", "b", ""}}},              // the last event wins
      {"id: 1\ndata: x\nid\n\n", {{"x", "", ""}}},                        // an empty id clears it
      {std::string_view("id: a\0b\ndata: x\n\n", 17), data_only({"x"})},  // NUL: ignored
      {std::string_view("id: ok\nid: a\0b\ndata: x\n\n", 24), {{"x", "", "ok"}}},
      {"data: 1\nretry: 10\nfoo: bar\nDATA: no\n data: no\n\n", data_only({"1"})},
      {": comment\n:\ndata: 1\n: another\n\n", data_only({"1"})},
      {std::string_view("data: a\0b\n\n", 11), data_only({std::string("a\0b", 3)})},
      {"data: \xF0\x9F\x98\x80\n\n", data_only({"\xF0\x9F\x98\x80"})},
  });
  for (const auto& c : cases) {
    const Outcome out = decode_every_split(c.stream);
    EXPECT_EQ(out.events, c.events) << testing::PrintToString(std::string(c.stream));
    EXPECT_FALSE(out.error);
    EXPECT_FALSE(out.mid_event);
  }
}

TEST(SseDecoder, ABlankLineWithoutDataDispatchesNothingAndResetsTheEvent) {
  EXPECT_EQ(decode_every_split("\n\n\r\n").events, Evs{});
  EXPECT_EQ(decode_every_split("event: a\nid: 3\n\ndata: b\n\n").events,
            (Evs{{"b", "", ""}}));  // id and event of the undispatched block are dropped
  EXPECT_EQ(decode_every_split(": only a comment\n\n").events, Evs{});
  // Each event gets only its own fields.
  EXPECT_EQ(decode_every_split("event: e\nid: 1\ndata: a\n\ndata: b\n\n").events,
            (Evs{{"a", "e", "1"}, {"b", "", ""}}));
}

TEST(SseDecoder, AByteOrderMarkAtTheStartIsIgnored) {
  EXPECT_EQ(decode_every_split("\xEF\xBB\xBF"
                               "data: x\n\n")
                .events,
            data_only({"x"}));
  EXPECT_EQ(decode_every_split("\xEF\xBB\xBF\n"
                               "data: x\n\n")
                .events,
            data_only({"x"}));
  // Only one, and only at the start: otherwise it is part of the field name.
  EXPECT_EQ(decode_every_split("\xEF\xBB\xBF\xEF\xBB\xBF"
                               "data: x\n\n")
                .events,
            Evs{});
  EXPECT_EQ(decode_every_split("data: 1\n\n\xEF\xBB\xBF"
                               "data: x\n\n")
                .events,
            data_only({"1"}));
  // A partial BOM is not a BOM.
  EXPECT_EQ(decode_every_split("\xEF\xBB"
                               "data: x\n\n")
                .events,
            Evs{});
  EXPECT_EQ(decode_every_split("data: \xEF\xBB\xBFx\n\n").events,
            data_only({"\xEF\xBB\xBFx"}));  // inside a value it is data
}

TEST(SseDecoder, MidEvent) {
  SseDecoder decoder;
  std::vector<SseEvent> events;
  EXPECT_FALSE(decoder.mid_event());
  ASSERT_TRUE(decoder.feed("data: {\"a\"", events));
  EXPECT_TRUE(decoder.mid_event());  // a partial line
  ASSERT_TRUE(decoder.feed(":1}\n", events));
  EXPECT_TRUE(decoder.mid_event());  // a data line without its blank line
  ASSERT_TRUE(decoder.feed("\r", events));
  EXPECT_FALSE(decoder.mid_event());  // dispatched (the CR ended the blank line)
  ASSERT_EQ(events.size(), 1u);
  ASSERT_TRUE(decoder.feed("\n: keep-alive\n", events));
  EXPECT_FALSE(decoder.mid_event());  // a comment line is no event
  ASSERT_TRUE(decoder.feed("event: x\n", events));
  EXPECT_TRUE(decoder.mid_event());
  ASSERT_TRUE(decoder.feed("\n", events));
  EXPECT_FALSE(decoder.mid_event());
  EXPECT_EQ(events.size(), 1u);
  // A stream cut after a complete line but before the blank line.
  EXPECT_TRUE(decode("data: [DONE]\n").mid_event);
  EXPECT_TRUE(decode("data: [DONE]").mid_event);
  EXPECT_TRUE(decode("data: [DONE]").events.empty());
  EXPECT_FALSE(decode("data: [DONE]\n\n").mid_event);
}

TEST(SseDecoder, LineLimitAtAndPastTheBound) {
  const SseLimits limits{.max_line_bytes = 16, .max_event_bytes = 64};
  const std::string at = "data: " + std::string(10, 'a');  // 16 bytes
  const std::string past = at + "a";
  Outcome ok = decode_every_split(at + "\n\n", limits);
  EXPECT_FALSE(ok.error);
  EXPECT_EQ(ok.events, data_only({std::string(10, 'a')}));
  // The events before the long line are delivered, then the error.
  for (const std::string& stream : {"data: 1\n\n" + past + "\n\n", "data: 1\n\n" + past}) {
    const Outcome bad = decode_every_split(stream, limits);
    EXPECT_EQ(bad.error, Errc::kResourceExhausted);
    EXPECT_EQ(bad.events, data_only({"1"}));
  }
  // A comment line counts too (it would be buffered all the same); a BOM does not.
  EXPECT_EQ(decode(": " + std::string(15, 'c') + "\n", limits).error, Errc::kResourceExhausted);
  EXPECT_FALSE(decode("\xEF\xBB\xBF" + at + "\n\n", limits).error);
}

TEST(SseDecoder, EventLimitAtAndPastTheBound) {
  const SseLimits limits{.max_line_bytes = 64, .max_event_bytes = 9};
  // Joined data "aaaa\nbbbb" is 9 bytes.
  const Outcome ok = decode_every_split("data: aaaa\ndata: bbbb\n\n", limits);
  EXPECT_FALSE(ok.error);
  EXPECT_EQ(ok.events, data_only({"aaaa\nbbbb"}));
  const Outcome bad = decode_every_split("data: 1\n\ndata: aaaa\ndata: bbbbb\n\n", limits);
  EXPECT_EQ(bad.error, Errc::kResourceExhausted);
  EXPECT_EQ(bad.events, data_only({"1"}));
  // The bound is per event: many small events are fine.
  std::string many;
  for (int i = 0; i < 100; ++i) {
    many += "data: 123456789\n\n";
  }
  EXPECT_EQ(decode(many, limits).events.size(), 100u);
}

TEST(SseDecoder, AFailedDecoderStaysFailed) {
  SseDecoder decoder({.max_line_bytes = 4, .max_event_bytes = 64});
  std::vector<SseEvent> events;
  const auto first = decoder.feed("data: x\n\n", events);
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().code, Errc::kResourceExhausted);
  for (const std::string_view more : {"", "\n", "d:1\n\n"}) {
    const auto again = decoder.feed(more, events);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, Errc::kResourceExhausted);
  }
  EXPECT_TRUE(events.empty());
}

// The encoder's output decodes back to its input, with its line ends as LF (sse.h).
std::string lf_line_ends(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < text.size() && text[i + 1] == '\n') {
        ++i;
      }
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

TEST(SseDecoder, ReadsBackTheEncoder) {
  const auto tricky = std::to_array<std::string>({
      "",
      "\n",
      "\n\n",
      "\r\n",
      "\r",
      "a\r\rb",
      "a\r\n\r\nb",
      " lead",
      "  two",
      ":colon first",
      "data: nested",
      "\xEF\xBB\xBF"
      "bom",
      std::string("nul\0inside", 10),
      "trailing\n",
      "[DONE]",
      "{\"choices\":[{\"text\":\"\\n\"}]}",
  });
  std::string stream;
  Evs expected;
  for (std::size_t i = 0; i < tricky.size(); ++i) {
    const Outcome one = decode_every_split(sse_event(tricky[i]));
    EXPECT_EQ(one.events, data_only({lf_line_ends(tricky[i])}))
        << testing::PrintToString(tricky[i]);
    const std::string id = "t." + std::to_string(i);
    stream += sse_comment("c" + tricky[i]);
    stream += sse_event(tricky[i], id).value();
    expected.push_back({lf_line_ends(tricky[i]), "", id});
  }
  EXPECT_EQ(decode(stream).events, expected);
}

TEST(SseDecoder, RandomStreamsGiveTheSameEventsAtRandomSplits) {
  std::mt19937 rng(20261207);  // seeded: the same streams every run
  const std::string_view alphabet = std::string_view("ad:ta \r\n\n\0ei", 12);
  for (int round = 0; round < 300; ++round) {
    std::string stream;
    const std::size_t size = rng() % 120;
    for (std::size_t i = 0; i < size; ++i) {
      stream.push_back(alphabet[rng() % alphabet.size()]);
    }
    const SseLimits limits{.max_line_bytes = 1 + rng() % 24, .max_event_bytes = 1 + rng() % 48};
    const Outcome whole = decode(stream, limits);
    for (int k = 0; k < 8; ++k) {
      std::vector<std::size_t> cuts;
      for (std::size_t at = 0; at < stream.size(); at += 1 + rng() % 6) {
        cuts.push_back(at);
      }
      ASSERT_EQ(decode_cut(stream, cuts, limits), whole) << testing::PrintToString(stream);
    }
    for (const Ev& e : whole.events) {
      ASSERT_LE(e.data.size(), limits.max_event_bytes);
    }
  }
}

}  // namespace
}  // namespace connswap::http
