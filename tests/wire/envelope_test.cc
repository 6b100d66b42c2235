#include "wire/envelope.h"

#include <array>
#include <string>

#include <connswap/v1/rpc.pb.h>
#include <gtest/gtest.h>

#include "wire/frame.h"

namespace connswap::wire {
namespace {

// Encodes a header frame and returns its body.
Bytes header_body(const CallHeader& header) {
  Bytes out;
  EXPECT_TRUE(append_header_frame(out, header));
  FrameDecoder decoder;
  decoder.push(out);
  auto f = decoder.next();
  EXPECT_TRUE(f && *f && (*f)->kind == FrameKind::kHeader);
  return Bytes((*f)->body.begin(), (*f)->body.end());
}

TEST(Envelope, CallHeaderRoundTrips) {
  const CallHeader sent{
      .method = "connswap.v1.Director/Generate",
      .timeout_ms = 1500,
      .metadata = {{"authorization", "Bearer x"}, {"bin", std::string("\0\xff", 2)}}};
  auto got = decode_call_header(header_body(sent));
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_EQ(got->method, sent.method);
  EXPECT_EQ(got->timeout_ms, 1500u);
  EXPECT_EQ(got->metadata, sent.metadata);
}

TEST(Envelope, MethodNames) {
  struct Case {
    std::string method;
    bool valid;
  };
  const auto cases = std::to_array<Case>({
      {"connswap.v1.Director/Generate", true},
      {"a/b", true},
      {"", false},
      {"/Generate", false},
      {"svc/", false},
      {"no-slash", false},
      {"a/b/c", false},
      {"a b/c", false},
      {"a/\x01", false},
      {"s/" + std::string(kMaxMethodSize - 2, 'm'), true},
      {"s/" + std::string(kMaxMethodSize - 1, 'm'), false},
  });
  for (const auto& c : cases) {
    EXPECT_EQ(is_valid_method(c.method), c.valid) << c.method;
    Bytes out;
    CallHeader header;
    header.method = c.method;
    EXPECT_EQ(static_cast<bool>(append_header_frame(out, header)), c.valid);
  }
}

TEST(Envelope, RejectsBadHeaders) {
  const Bytes garbage = {0xff, 0xff, 0xff};
  auto r = decode_call_header(garbage);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kProtocol);

  EXPECT_FALSE(decode_call_header({}));  // empty: method missing

  CallHeader many;
  many.method = "a/b";
  for (std::size_t i = 0; i <= kMaxMetadataEntries; ++i) {
    many.metadata["k" + std::to_string(i)] = "v";
  }
  Bytes out;
  EXPECT_FALSE(append_header_frame(out, many));
}

TEST(Envelope, WireCompatibleWithThePublicSchema) {
  CallHeader sent;
  sent.method = "connswap.v1.Director/Generate";
  sent.timeout_ms = 7;
  sent.metadata["authorization"] = "t";
  v1::CallHeader pb;
  const Bytes body = header_body(sent);
  ASSERT_TRUE(pb.ParseFromArray(body.data(), static_cast<int>(body.size())));
  EXPECT_EQ(pb.method(), sent.method);
  EXPECT_EQ(pb.timeout_ms(), 7u);
  EXPECT_EQ(pb.metadata().at("authorization"), "t");

  Bytes out;
  append_trailer_frame(out, {8, "too big"});
  v1::Status status;
  ASSERT_TRUE(status.ParseFromArray(out.data() + 2, static_cast<int>(out.size() - 2)));
  EXPECT_EQ(status.code(), v1::RESOURCE_EXHAUSTED);
  EXPECT_EQ(status.message(), "too big");
}

TEST(Envelope, MetadataKeys) {
  for (const char* key : {"", "Upper", "sp ace", "\xff"}) {
    CallHeader h;
    h.method = "a/b";
    h.metadata[key] = "v";
    Bytes out;
    EXPECT_FALSE(append_header_frame(out, h)) << key;
  }
}

TEST(Envelope, InvalidUtf8IsRejectedQuietly) {
  // CallHeader{method: "a/\xff"} encoded by hand; protobuf's own UTF-8 check (which logs)
  // must not be what rejects it.
  const Bytes body = {0x0a, 0x03, 'a', '/', 0xff};
  auto r = decode_call_header(body);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().detail, "bad method name");
  // A trailer message is for humans: any bytes are accepted.
  const Bytes trailer = {0x08, 0x0d, 0x12, 0x01, 0xff};
  auto t = decode_trailer(trailer);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->code, 13u);
}

TEST(Envelope, TrailerRoundTripsUnknownCodes) {
  for (std::uint32_t code : {0u, 12u, 16u, 99u}) {
    Bytes out;
    append_trailer_frame(out, {code, "why"});
    FrameDecoder decoder;
    decoder.push(out);
    auto f = decoder.next();
    ASSERT_TRUE(f && *f);
    EXPECT_EQ((*f)->kind, FrameKind::kTrailer);
    auto t = decode_trailer((*f)->body);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->code, code);
    EXPECT_EQ(t->message, "why");
  }
  EXPECT_FALSE(decode_trailer(Bytes{0x08}));  // field 1 varint, value missing
}

}  // namespace
}  // namespace connswap::wire
