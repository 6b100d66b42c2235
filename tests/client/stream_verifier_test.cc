#include "client/stream_verifier.h"

#include <array>
#include <vector>

#include <gtest/gtest.h>

#include "worker/generator.h"

namespace connswap::client {
namespace {

const GenerateRequest kRequest{.prompt = "Tell me a story", .max_tokens = 6};

Token tok(std::uint64_t seq) {
  return Token{seq, worker::demo_token(kRequest.prompt, seq)};
}
Assigned assigned() {
  return Assigned{"conn-1234", 1, "worker-a"};
}
Migrated migrated(std::uint64_t resume) {
  return Migrated{"worker-a", "worker-b", "error", resume};
}

struct Case {
  const char* name;
  std::vector<StreamItem> items;
  StreamTally want;
};

TEST(StreamVerifier, ChecksOrderGapsDuplicatesAndText) {
  const auto cases = std::to_array<Case>({
      {"clean",
       {assigned(), tok(1), tok(2), tok(3), tok(4), tok(5), tok(6), Done{6, "length"}},
       {.tokens = 6, .done = true, .verified = true}},
      {"one migration",
       {assigned(), tok(1), tok(2), tok(3), migrated(4), tok(4), tok(5), tok(6), Done{6, ""}},
       {.tokens = 6, .migrations = 1, .done = true, .verified = true}},
      {"gap",
       {assigned(), tok(1), tok(2), tok(4), tok(5), tok(6), Done{5, ""}},
       {.tokens = 5, .lost = 1, .done = true}},
      {"duplicate",
       {assigned(), tok(1), tok(2), tok(2), tok(3), tok(4), tok(5), tok(6), Done{6, ""}},
       {.tokens = 6, .duplicated = 1, .done = true}},
      {"out of order",
       {assigned(), tok(1), tok(3), tok(2), tok(4), tok(5), tok(6), Done{6, ""}},
       {.tokens = 6, .out_of_order = 1, .done = true}},
      {"wrong text",
       {assigned(), tok(1), Token{2, "bogus "}, tok(3), tok(4), tok(5), tok(6), Done{6, ""}},
       {.tokens = 6, .mismatched = 1, .done = true}},
      {"ended early", {assigned(), tok(1), tok(2), tok(3)}, {.tokens = 3, .lost = 3}},
      {"migrated with wrong resume_seq",
       {assigned(), tok(1), tok(2), migrated(2), tok(3), tok(4), tok(5), tok(6), Done{6, ""}},
       {.tokens = 6, .migrations = 1, .protocol_errors = 1, .done = true}},
      {"token after done",
       {assigned(), tok(1), tok(2), tok(3), tok(4), tok(5), tok(6), Done{6, ""}, tok(6)},
       {.tokens = 6, .protocol_errors = 1, .done = true}},
      {"connection id changed",
       {assigned(),
        tok(1),
        Assigned{"conn-9", 1, "worker-b"},
        tok(2),
        tok(3),
        tok(4),
        tok(5),
        tok(6),
        Done{6, ""}},
       {.tokens = 6, .protocol_errors = 1, .done = true}},
  });
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    StreamVerifier v(kRequest);
    for (const auto& item : c.items) {
      v.on_item(item);
    }
    const StreamTally t = v.tally();
    EXPECT_EQ(t.tokens, c.want.tokens);
    EXPECT_EQ(t.migrations, c.want.migrations);
    EXPECT_EQ(t.lost, c.want.lost);
    EXPECT_EQ(t.duplicated, c.want.duplicated);
    EXPECT_EQ(t.out_of_order, c.want.out_of_order);
    EXPECT_EQ(t.mismatched, c.want.mismatched);
    EXPECT_EQ(t.protocol_errors, c.want.protocol_errors);
    EXPECT_EQ(t.done, c.want.done);
    EXPECT_EQ(t.verified, c.want.verified);
  }
}

TEST(StreamVerifier, ResumedStreamStartsAtStartSeq) {
  StreamVerifier v({.prompt = "p", .max_tokens = 32, .start_seq = 31});
  v.on_item(Token{31, worker::demo_token("p", 31)});
  v.on_item(Token{32, worker::demo_token("p", 32)});
  v.on_item(Done{2, ""});
  EXPECT_TRUE(v.tally().verified);
  EXPECT_EQ(v.next_seq(), 33U);
}

// A stream resumed on a new call (another connection, maybe another director): the
// continuation is checked as one stream; each call's Done counts only its own tokens.
TEST(StreamVerifier, AcceptsAContinuationOnANewCall) {
  struct ResumeCase {
    const char* name;
    std::vector<StreamItem> second_call;  // after tokens 1..3 and on_resumed()
    StreamTally want;
  };
  const Assigned elsewhere{"conn-1234", 1, "worker-b"};
  const auto cases = std::to_array<ResumeCase>({
      {"continues at the next seq",
       {elsewhere, tok(4), tok(5), tok(6), Done{3, ""}},
       {.tokens = 6, .resumes = 1, .done = true, .verified = true}},
      {"repeats a token",
       {elsewhere, tok(3), tok(4), tok(5), tok(6), Done{3, ""}},
       {.tokens = 6, .resumes = 1, .duplicated = 1, .done = true}},
      {"another stream id",
       {Assigned{"conn-1234", 2, "worker-b"}, tok(4), tok(5), tok(6), Done{3, ""}},
       {.tokens = 6, .resumes = 1, .protocol_errors = 1, .done = true}},
      {"another connection id",
       {Assigned{"conn-9", 1, "worker-b"}, tok(4), tok(5), tok(6), Done{3, ""}},
       {.tokens = 6, .resumes = 1, .protocol_errors = 1, .done = true}},
      {"Done counting the first call too",
       {elsewhere, tok(4), tok(5), tok(6), Done{6, ""}},
       {.tokens = 6, .resumes = 1, .protocol_errors = 1, .done = true}},
  });
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    StreamVerifier v(kRequest);
    for (const auto& item : std::vector<StreamItem>{assigned(), tok(1), tok(2), tok(3)}) {
      v.on_item(item);
    }
    v.on_resumed();
    for (const auto& item : c.second_call) {
      v.on_item(item);
    }
    const StreamTally t = v.tally();
    EXPECT_EQ(t.tokens, c.want.tokens);
    EXPECT_EQ(t.resumes, c.want.resumes);
    EXPECT_EQ(t.duplicated, c.want.duplicated);
    EXPECT_EQ(t.protocol_errors, c.want.protocol_errors);
    EXPECT_EQ(t.lost, 0U);
    EXPECT_EQ(t.verified, c.want.verified);
  }
}

TEST(StreamVerifier, SecondAssignedWithoutResumeIsAProtocolError) {
  StreamVerifier v(kRequest);
  for (const auto& item : std::vector<StreamItem>{
           assigned(), tok(1), assigned(), tok(2), tok(3), tok(4), tok(5), tok(6), Done{6, ""}}) {
    v.on_item(item);
  }
  EXPECT_EQ(v.tally().protocol_errors, 1U);
  EXPECT_FALSE(v.tally().verified);
}

TEST(ClientSummary, FormatsSeedLine) {
  ClientSummary s{.connection_id = "conn-1234"};
  StreamVerifier v(kRequest);
  for (const auto& item : std::vector<StreamItem>{
           assigned(), tok(1), tok(2), tok(3), migrated(4), tok(4), tok(5), tok(6), Done{6, ""}}) {
    v.on_item(item);
  }
  s.add(v.tally());
  EXPECT_EQ(format_summary(s),
            "summary connection.id=conn-1234 streams=1 tokens=6 migrations=1 lost=0 "
            "duplicated=0 out_of_order=0 resumes=0 rebinds=0 quic_handshakes=1 verified=true");
  StreamVerifier bad(kRequest);
  bad.on_item(tok(2));
  s.add(bad.tally());
  EXPECT_NE(format_summary(s).find("lost=5"), std::string::npos);
  EXPECT_NE(format_summary(s).find("verified=false"), std::string::npos);
  EXPECT_NE(format_summary(ClientSummary{}).find("verified=false"), std::string::npos);
}

}  // namespace
}  // namespace connswap::client
