#include "base/log_json.h"

#include <array>
#include <chrono>
#include <cstdio>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "base/log.h"
#include "base/log_fields.h"

namespace connswap::log {
namespace {

using Fields = std::vector<std::pair<std::string_view, std::string_view>>;

struct SplitCase {
  const char* name;
  std::string_view text;
  Fields fields;
  std::string_view message;
};

// Names the case in test output instead of gtest's byte dump.
void PrintTo(const SplitCase& c, std::ostream* os) {
  *os << c.name;
}

class SplitFields : public ::testing::TestWithParam<SplitCase> {};

TEST_P(SplitFields, SplitsFieldsFromMessage) {
  const SplitCase& c = GetParam();
  const LogFields got = split_fields(c.text);
  EXPECT_EQ(got.fields, c.fields);
  EXPECT_EQ(got.message, c.message);
}

INSTANTIATE_TEST_SUITE_P(
    Lines,
    SplitFields,
    ::testing::Values(
        SplitCase{.name = "seed_line",
                  .text = "connection.id=c1 worker=a stream.id=1: \xF0\x9F\x94\x84 worker assigned",
                  .fields = {{"connection.id", "c1"}, {"worker", "a"}, {"stream.id", "1"}},
                  .message = "\xF0\x9F\x94\x84 worker assigned"},
        SplitCase{.name = "no_fields",
                  .text = "server listening on 127.0.0.1:61000 gso=1",
                  .fields = {},
                  .message = "server listening on 127.0.0.1:61000 gso=1"},
        SplitCase{.name = "empty", .text = "", .fields = {}, .message = ""},
        SplitCase{
            .name = "quoted_with_spaces_and_colon",
            .text = "connection.id=c1 reason=\"limit: too many streams\": \xE2\x9B\x94 refused",
            .fields = {{"connection.id", "c1"}, {"reason", "limit: too many streams"}},
            .message = "\xE2\x9B\x94 refused"},
        SplitCase{.name = "quoted_then_more_fields",
                  .text = "detail=\"a b\" end=ok: done",
                  .fields = {{"detail", "a b"}, {"end", "ok"}},
                  .message = "done"},
        SplitCase{.name = "quote_inside_quoted_value",
                  .text = "status=\"bad \"x\" here\": failed",
                  .fields = {{"status", "bad \"x\" here"}},
                  .message = "failed"},
        SplitCase{.name = "quoted_then_free_text",
                  .text = "detail=\"a b\" then text",
                  .fields = {{"detail", "a b"}},
                  .message = "then text"},
        SplitCase{.name = "empty_quoted_value",
                  .text = "detail=\"\": nothing",
                  .fields = {{"detail", ""}},
                  .message = "nothing"},
        SplitCase{.name = "unclosed_quote_is_message",
                  .text = "a=1 detail=\"never closed",
                  .fields = {{"a", "1"}},
                  .message = "detail=\"never closed"},
        SplitCase{.name = "value_with_equals",
                  .text = "param=top_k=40 url=http://h/v1?a=b: ok",
                  .fields = {{"param", "top_k=40"}, {"url", "http://h/v1?a=b"}},
                  .message = "ok"},
        SplitCase{.name = "address_value_keeps_its_colons",
                  .text = "peer=[::1]:4433 user_addr=127.0.0.1:61000: up",
                  .fields = {{"peer", "[::1]:4433"}, {"user_addr", "127.0.0.1:61000"}},
                  .message = "up"},
        SplitCase{.name = "fields_then_free_text_without_colon",
                  .text = "conn=7 migrating to 10.0.0.1:5",
                  .fields = {{"conn", "7"}},
                  .message = "migrating to 10.0.0.1:5"},
        SplitCase{.name = "fields_only",
                  .text = "a=1 b=",
                  .fields = {{"a", "1"}, {"b", ""}},
                  .message = ""},
        SplitCase{.name = "final_colon_without_message",
                  .text = "a=1:",
                  .fields = {{"a", "1"}},
                  .message = ""},
        SplitCase{.name = "empty_value_then_colon",
                  .text = "a=: text",
                  .fields = {{"a", ""}},
                  .message = "text"},
        SplitCase{.name = "message_colons_stay",
                  .text = "worker=a: token source refused (busy): try later",
                  .fields = {{"worker", "a"}},
                  .message = "token source refused (busy): try later"},
        SplitCase{
            .name = "not_a_key", .text = "=x 1a=2 -k=3", .fields = {}, .message = "=x 1a=2 -k=3"}),
    [](const ::testing::TestParamInfo<SplitCase>& p) { return std::string(p.param.name); });

// 2026-12-07T22:10:01.000123Z
constexpr auto kTs =
    std::chrono::system_clock::time_point{std::chrono::microseconds{1'796'681'401'000'123}};

TEST(JsonLine, HasTsLevelLoggerFieldsAndMsgInOrder) {
  const std::string line =
      json_line(kTs, spdlog::level::warn, "director", "connection.id=c1 reason=\"a b\": refused");
  EXPECT_EQ(line,
            R"({"ts":"2026-12-07T22:10:01.000123Z","level":"warn","logger":"director",)"
            R"("connection.id":"c1","reason":"a b","msg":"refused"})");
}

TEST(JsonLine, LineWithoutFieldsIsAllMsg) {
  const auto j = nlohmann::json::parse(json_line(kTs, spdlog::level::info, "net", "plain text"));
  EXPECT_EQ(j.size(), 4u);
  EXPECT_EQ(j["msg"], "plain text");
  EXPECT_EQ(j["level"], "info");
}

TEST(JsonLine, ReservedNamesAndEscapesAndBadUtf8) {
  const auto j =
      nlohmann::json::parse(json_line(kTs,
                                      spdlog::level::err,
                                      "worker",
                                      "msg=x level=y path=\"C:\\\\a \\\"q\\\"\" bad=\xFF\xFE: m"));
  EXPECT_EQ(j["msg"], "m");
  EXPECT_EQ(j["level"], "error");
  EXPECT_EQ(j["field.msg"], "x");
  EXPECT_EQ(j["field.level"], "y");
  EXPECT_EQ(j["path"], "C:\\\\a \\\"q\\\"");        // backslashes and quotes kept as logged
  EXPECT_EQ(j["bad"], "\xEF\xBF\xBD\xEF\xBF\xBD");  // U+FFFD twice, not an exception
}

TEST(JsonLine, LevelNames) {
  const std::array<std::pair<spdlog::level::level_enum, const char*>, 5> kLevels = {{
      {spdlog::level::trace, "trace"},
      {spdlog::level::debug, "debug"},
      {spdlog::level::info, "info"},
      {spdlog::level::warn, "warn"},
      {spdlog::level::critical, "error"},
  }};
  for (const auto& [level, name] : kLevels) {
    EXPECT_EQ(nlohmann::json::parse(json_line(kTs, level, "x", ""))["level"], name);
  }
}

TEST(LogFormat, ParsesNames) {
  EXPECT_EQ(parse_format("text"), Format::kText);
  EXPECT_EQ(parse_format("json"), Format::kJson);
  EXPECT_FALSE(parse_format("JSON").has_value());
  EXPECT_FALSE(parse_format("").has_value());
}

// The shared stderr sink in JSON mode writes one parseable object per record.
TEST(LogFormat, JsonFormatGoesToStderr) {
  std::fflush(stderr);
  const int saved = dup(STDERR_FILENO);
  char path[] = "/tmp/connswap-logjson.XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  dup2(fd, STDERR_FILENO);
  set_format(Format::kJson);
  get("jsontest").info("k=v: hello {}", 1);
  get("jsontest").flush();
  set_format(Format::kText);
  get("jsontest").info("k=v: plain");
  get("jsontest").flush();
  dup2(saved, STDERR_FILENO);
  close(saved);
  std::string text;
  char buf[4096];
  ssize_t n;
  lseek(fd, 0, SEEK_SET);
  while ((n = read(fd, buf, sizeof buf)) > 0) {
    text.append(buf, static_cast<std::size_t>(n));
  }
  close(fd);
  unlink(path);
  const auto nl = text.find('\n');
  ASSERT_NE(nl, std::string::npos);
  const auto j = nlohmann::json::parse(text.substr(0, nl));
  EXPECT_EQ(j["logger"], "jsontest");
  EXPECT_EQ(j["k"], "v");
  EXPECT_EQ(j["msg"], "hello 1");
  EXPECT_NE(text.find("INFO jsontest k=v: plain", nl), std::string::npos) << text;
}

}  // namespace
}  // namespace connswap::log
