#include "wire/frame.h"

#include <array>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "wire/varint.h"

namespace connswap::wire {
namespace {

struct Decoded {
  FrameKind kind;
  std::string body;
  bool operator==(const Decoded&) const = default;
};

// Feeds `bytes` in pieces of `step` bytes and collects every frame, or the first error.
Expected<std::vector<Decoded>, FrameError> decode_all(const Bytes& bytes,
                                                      std::size_t step,
                                                      std::size_t limit = kDefaultMaxFrameSize) {
  FrameDecoder decoder(limit);
  std::vector<Decoded> out;
  for (std::size_t at = 0; at < bytes.size(); at += step) {
    decoder.push(ByteSpan(bytes).subspan(at, std::min(step, bytes.size() - at)));
    while (true) {
      auto frame = decoder.next();
      if (!frame) {
        return Unexpected(frame.error());
      }
      if (!*frame) {
        break;
      }
      out.push_back({(*frame)->kind, std::string(as_string((*frame)->body))});
    }
  }
  auto fin = decoder.finish();
  if (!fin) {
    return Unexpected(fin.error());
  }
  return out;
}

Bytes frames(const std::vector<Decoded>& list) {
  Bytes out;
  for (const auto& f : list) {
    append_frame(out, f.kind, as_bytes(f.body));
  }
  return out;
}

TEST(FrameCodec, EncodesLengthKindBody) {
  Bytes out;
  append_frame(out, FrameKind::kMessage, as_bytes("hi"));
  EXPECT_EQ(out, (Bytes{0x03, 0x02, 'h', 'i'}));
  EXPECT_EQ(frame_size(2), 4u);
  out.clear();
  append_frame(out, FrameKind::kTrailer, {});
  EXPECT_EQ(out, (Bytes{0x01, 0x03}));
}

TEST(FrameCodec, DecodesWhenSplitAtEveryByte) {
  const std::vector<Decoded> sent = {
      {FrameKind::kHeader, "header"},
      {FrameKind::kMessage, ""},
      {FrameKind::kMessage, std::string(70, 'x')},     // 2-byte length
      {FrameKind::kMessage, std::string(20000, 'y')},  // 4-byte length
      {FrameKind::kTrailer, "done"},
  };
  const Bytes bytes = frames(sent);
  for (std::size_t step : {std::size_t{1},
                           std::size_t{2},
                           std::size_t{3},
                           std::size_t{7},
                           std::size_t{64},
                           std::size_t{4096},
                           bytes.size()}) {
    auto got = decode_all(bytes, step);
    ASSERT_TRUE(got) << "step " << step << ": " << to_string(got.error());
    EXPECT_EQ(*got, sent) << "step " << step;
  }
}

TEST(FrameCodec, EverySplitPointOfTwoPieces) {
  const Bytes bytes = frames({{FrameKind::kHeader, "h"},
                              {FrameKind::kMessage, std::string(100, 'm')},
                              {FrameKind::kTrailer, "t"}});
  for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
    FrameDecoder decoder;
    decoder.push(ByteSpan(bytes).first(cut));
    std::size_t count = 0;
    auto drain = [&] {
      while (auto f = decoder.next()) {
        if (!*f) {
          return;
        }
        ++count;
      }
      ADD_FAILURE() << "error at cut " << cut;
    };
    drain();
    decoder.push(ByteSpan(bytes).subspan(cut));
    drain();
    EXPECT_EQ(count, 3u) << "cut " << cut;
    EXPECT_TRUE(decoder.finish()) << "cut " << cut;
  }
}

struct ErrorCase {
  const char* name;
  Bytes bytes;
  std::size_t limit;
  FrameError error;
};

TEST(FrameCodec, RejectsBadInput) {
  Bytes oversized_prefix;
  append_varint(oversized_prefix, 1025 + 1);  // body 1025 > limit 1024, body never sent
  Bytes huge_prefix = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  const auto cases = std::to_array<ErrorCase>({
      {"empty frame", {0x00}, 1024, FrameError::kEmpty},
      {"unknown kind 0", {0x01, 0x00}, 1024, FrameError::kUnknownKind},
      {"unknown kind 4", {0x02, 0x04, 'x'}, 1024, FrameError::kUnknownKind},
      {"oversized from prefix alone", oversized_prefix, 1024, FrameError::kOversized},
      {"2^62-1 length", huge_prefix, kDefaultMaxFrameSize, FrameError::kOversized},
      {"truncated in varint", {0x40}, 1024, FrameError::kTruncated},
      {"truncated before kind", {0x05}, 1024, FrameError::kTruncated},
      {"truncated in body", {0x05, 0x02, 'a'}, 1024, FrameError::kTruncated},
      {"good frame then junk", {0x01, 0x02, 0x03}, 1024, FrameError::kTruncated},
  });
  for (const auto& c : cases) {
    auto got = decode_all(c.bytes, 1, c.limit);
    ASSERT_FALSE(got) << c.name;
    EXPECT_EQ(got.error(), c.error) << c.name;
  }
}

TEST(FrameCodec, LimitIsInclusiveAndErrorsAreSticky) {
  const Bytes ok = frames({{FrameKind::kMessage, std::string(16, 'a')}});
  EXPECT_TRUE(decode_all(ok, 1, 16));
  auto too_big = decode_all(ok, 1, 15);
  ASSERT_FALSE(too_big);
  EXPECT_EQ(too_big.error(), FrameError::kOversized);

  FrameDecoder decoder;
  decoder.push(Bytes{0x00});
  EXPECT_TRUE(decoder.ready());
  EXPECT_FALSE(decoder.next());
  decoder.push(frames({{FrameKind::kMessage, "x"}}));
  EXPECT_FALSE(decoder.next());
  EXPECT_FALSE(decoder.finish());
}

TEST(FrameCodec, ReadyOnlyWithACompleteFrame) {
  FrameDecoder decoder;
  const Bytes bytes = frames({{FrameKind::kMessage, "abc"}});
  decoder.push(ByteSpan(bytes).first(3));
  EXPECT_FALSE(decoder.ready());
  EXPECT_EQ(decoder.buffered(), 3u);
  decoder.push(ByteSpan(bytes).subspan(3));
  EXPECT_TRUE(decoder.ready());
  auto f = decoder.next();
  ASSERT_TRUE(f && *f);
  EXPECT_EQ((*f)->wire_size, bytes.size());
  EXPECT_EQ(decoder.buffered(), 0u);
}

}  // namespace
}  // namespace connswap::wire
