// SseReader and classify_chunk on the HTTP front's chunk shapes, split at every byte.
#include "sse_reader.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "json_check.h"

namespace connswap::bench {
namespace {

constexpr std::string_view kToken =
    R"({"id":"cmpl-1","object":"text_completion","created":1,"model":"m",)"
    R"("choices":[{"text":"tok \"error\": x","index":0,"logprobs":null,"finish_reason":null}]})";
constexpr std::string_view kFinish =
    R"({"id":"cmpl-1","object":"text_completion","created":1,"model":"m",)"
    R"("choices":[{"text":"","index":0,"logprobs":null,"finish_reason":"length"}]})";

TEST(ClassifyChunk, KindsOfTheFrontsChunks) {
  EXPECT_EQ(classify_chunk(kToken), ChunkKind::kToken);  // "error" inside the text: a token
  EXPECT_EQ(classify_chunk(kFinish), ChunkKind::kFinish);
  EXPECT_EQ(classify_chunk("[DONE]"), ChunkKind::kDone);
  EXPECT_EQ(classify_chunk(R"({"error":{"message":"worker lost","type":"server_error"}})"),
            ChunkKind::kError);
  EXPECT_EQ(classify_chunk(R"({"choices":[{"text":"x")"), ChunkKind::kBad);  // truncated
  EXPECT_EQ(classify_chunk(R"({"choices":[]})"), ChunkKind::kBad);
  EXPECT_EQ(classify_chunk(R"({"choices":[{"text":7,"finish_reason":null}]})"), ChunkKind::kBad);
  EXPECT_EQ(classify_chunk("[DONE"), ChunkKind::kBad);
}

TEST(ValidJson, AcceptsJsonAndRejectsNearMisses) {
  for (std::string_view ok :
       {kToken,
        kFinish,
        std::string_view(R"( {"a":[1,-0.5e+3,true,false,null,{}],"b":"\u00e9\n"} )"),
        std::string_view("[]"),
        std::string_view("0")}) {
    EXPECT_TRUE(valid_json(ok)) << ok;
    EXPECT_TRUE(nlohmann::json::accept(ok)) << ok;  // the reference agrees
  }
  for (std::string_view bad : {"",
                               "{",
                               R"({"a":1,})",
                               R"({"a" 1})",
                               R"({a:1})",
                               "[1,]",
                               "01",
                               "1.",
                               "-",
                               "1e",
                               R"("\x")",
                               R"("\u12G4")",
                               "\"a\tb\"",
                               "tru",
                               "nul",
                               "{} {}",
                               R"({"a":1}x)",
                               "[[[[",
                               R"(["unterminated)"}) {
    EXPECT_FALSE(valid_json(bad)) << bad;
    EXPECT_FALSE(nlohmann::json::accept(bad)) << bad;
  }
  EXPECT_FALSE(valid_json(std::string(100, '[') + std::string(100, ']')));  // too deep
}

TEST(SseReader, EventsSurviveAnySplitAndSkipComments) {
  const std::string body = "data: " + std::string(kToken) + "\n\n: migrated from=a to=b\n\n" +
                           "data: " + std::string(kFinish) + "\n\n" + "data: [DONE]\n\n";
  for (std::size_t cut = 0; cut <= body.size(); ++cut) {
    std::vector<std::string> events;
    std::vector<std::string> comments;
    SseReader reader([&](std::string_view d) { events.emplace_back(d); },
                     [&](std::string_view c) { comments.emplace_back(c); });
    reader.feed(std::string_view(body).substr(0, cut));
    reader.feed(std::string_view(body).substr(cut));
    ASSERT_EQ(events.size(), 3U) << "cut " << cut;
    EXPECT_EQ(events[0], kToken);
    EXPECT_EQ(events[2], "[DONE]");
    EXPECT_EQ(comments, std::vector<std::string>{"migrated from=a to=b"});
    EXPECT_FALSE(reader.partial());
  }
}

TEST(SseReader, PartialEventIsHeldAndResetDropsIt) {
  std::vector<std::string> events;
  SseReader reader([&](std::string_view d) { events.emplace_back(d); });
  reader.feed("data: a\ndata: b\n\ndata: [DO");
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0], "a\nb");  // data lines joined with \n
  EXPECT_TRUE(reader.partial());
  reader.reset();
  EXPECT_FALSE(reader.partial());
}

}  // namespace
}  // namespace connswap::bench
