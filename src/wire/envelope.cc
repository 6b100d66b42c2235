#include "wire/envelope.h"

#include <limits>

#include <connswap/internal/envelope_view.pb.h>
#include <connswap/v1/rpc.pb.h>

#include "wire/frame.h"

namespace connswap::wire {
namespace {

bool parse(google::protobuf::MessageLite& message, ByteSpan body) {
  if (body.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    return false;
  }
  return message.ParseFromArray(body.data(), static_cast<int>(body.size()));
}

void append_message_frame(Bytes& out, FrameKind kind, const google::protobuf::MessageLite& m) {
  const std::string body = m.SerializeAsString();
  append_frame(out, kind, as_bytes(body));
}

// Metadata keys as the protocol defines them: lower-case ASCII letters, digits, '-', '_', '.'.
bool is_valid_metadata_key(std::string_view key) {
  if (key.empty() || key.size() > kMaxMethodSize) {
    return false;
  }
  for (char c : key) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    if (!ok) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool is_valid_method(std::string_view method) {
  if (method.empty() || method.size() > kMaxMethodSize) {
    return false;
  }
  const std::size_t slash = method.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == method.size() ||
      method.find('/', slash + 1) != std::string_view::npos) {
    return false;
  }
  for (char c : method) {
    if (c <= ' ' || c > '~') {
      return false;
    }
  }
  return true;
}

Result<void> append_header_frame(Bytes& out, const CallHeader& header) {
  if (!is_valid_method(header.method)) {
    return make_error(Errc::kInvalidArgument, "bad method name");
  }
  if (header.metadata.size() > kMaxMetadataEntries) {
    return make_error(Errc::kInvalidArgument, "too many metadata entries");
  }
  for (const auto& [key, value] : header.metadata) {
    if (!is_valid_metadata_key(key)) {
      return make_error(Errc::kInvalidArgument, "bad metadata key");
    }
  }
  v1::CallHeader pb;
  pb.set_method(header.method);
  pb.set_timeout_ms(header.timeout_ms);
  for (const auto& [key, value] : header.metadata) {
    (*pb.mutable_metadata())[key] = value;
  }
  append_message_frame(out, FrameKind::kHeader, pb);
  return {};
}

Result<CallHeader> decode_call_header(ByteSpan body) {
  internal::CallHeaderView pb;  // bytes fields: see envelope_view.proto
  if (!parse(pb, body)) {
    return make_error(Errc::kProtocol, "undecodable call header");
  }
  if (!is_valid_method(pb.method())) {
    return make_error(Errc::kProtocol, "bad method name");
  }
  if (static_cast<std::size_t>(pb.metadata_size()) > kMaxMetadataEntries) {
    return make_error(Errc::kProtocol, "too many metadata entries");
  }
  CallHeader header;
  header.method = pb.method();
  header.timeout_ms = pb.timeout_ms();
  for (const auto& entry : pb.metadata()) {
    if (!is_valid_metadata_key(entry.key())) {
      return make_error(Errc::kProtocol, "bad metadata key");
    }
    header.metadata.insert_or_assign(entry.key(), entry.value());  // map semantics: last wins
  }
  return header;
}

void append_trailer_frame(Bytes& out, const Trailer& trailer) {
  // Wire-identical to connswap.v1.Status; bytes, because a message need not be UTF-8.
  internal::StatusView pb;
  pb.set_code(static_cast<std::int32_t>(trailer.code));
  pb.set_message(trailer.message);
  append_message_frame(out, FrameKind::kTrailer, pb);
}

Result<Trailer> decode_trailer(ByteSpan body) {
  internal::StatusView pb;  // bytes message: never rejected for its encoding
  if (!parse(pb, body)) {
    return make_error(Errc::kProtocol, "undecodable status trailer");
  }
  return Trailer{static_cast<std::uint32_t>(pb.code()), pb.message()};
}

}  // namespace connswap::wire
