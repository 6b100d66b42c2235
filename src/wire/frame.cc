#include "wire/frame.h"

#include "wire/varint.h"

namespace connswap::wire {
namespace {

bool is_known_kind(std::uint8_t kind) {
  return kind >= static_cast<std::uint8_t>(FrameKind::kHeader) &&
         kind <= static_cast<std::uint8_t>(FrameKind::kTrailer);
}

}  // namespace

std::string_view to_string(FrameKind kind) {
  switch (kind) {
    case FrameKind::kHeader:
      return "header";
    case FrameKind::kMessage:
      return "message";
    case FrameKind::kTrailer:
      return "trailer";
  }
  return "unknown";
}

std::string_view to_string(FrameError error) {
  switch (error) {
    case FrameError::kOversized:
      return "frame exceeds the size limit";
    case FrameError::kEmpty:
      return "empty frame";
    case FrameError::kUnknownKind:
      return "unknown frame kind";
    case FrameError::kTruncated:
      return "stream ended inside a frame";
  }
  return "unknown frame error";
}

void append_frame(Bytes& out, FrameKind kind, ByteSpan body) {
  out.reserve(out.size() + frame_size(body.size()));
  append_varint(out, body.size() + 1);
  out.push_back(static_cast<std::uint8_t>(kind));
  out.insert(out.end(), body.begin(), body.end());
}

std::size_t frame_size(std::size_t body_size) {
  return varint_size(body_size + 1) + 1 + body_size;
}

FrameDecoder::FrameDecoder(std::size_t max_body_size) : max_body_size_(max_body_size) {}

void FrameDecoder::push(ByteSpan data) {
  if (error_ || data.empty()) {
    return;
  }
  // Drop returned bytes before growing, so the buffer holds at most one partial frame
  // plus what the caller pushed since (the flow-control window bounds that).
  if (pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  } else if (pos_ > 0 && pos_ >= buf_.size() / 2) {
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(pos_));
    pos_ = 0;
  }
  buf_.insert(buf_.end(), data.begin(), data.end());
}

Expected<std::optional<FrameDecoder::Head>, FrameError> FrameDecoder::parse_head() const {
  if (error_) {
    return Unexpected(*error_);
  }
  const ByteSpan rest = ByteSpan(buf_).subspan(pos_);
  const std::optional<Varint> length = decode_varint(rest);
  if (!length) {
    return std::optional<Head>();
  }
  if (length->value == 0) {
    return Unexpected(FrameError::kEmpty);
  }
  // Checked before the body arrives: an oversized frame is never buffered.
  if (length->value - 1 > max_body_size_) {
    return Unexpected(FrameError::kOversized);
  }
  if (rest.size() > length->size && !is_known_kind(rest[length->size])) {
    return Unexpected(FrameError::kUnknownKind);
  }
  if (rest.size() - length->size < length->value) {
    return std::optional<Head>();
  }
  return std::optional<Head>(Head{length->size, length->value});
}

Expected<std::optional<Frame>, FrameError> FrameDecoder::next() {
  auto head = parse_head();
  if (!head) {
    error_ = head.error();
    return Unexpected(head.error());
  }
  if (!*head) {
    return std::optional<Frame>();
  }
  const Head h = **head;
  const std::size_t total = h.prefix + static_cast<std::size_t>(h.length);
  const ByteSpan payload =
      ByteSpan(buf_).subspan(pos_ + h.prefix, static_cast<std::size_t>(h.length));
  pos_ += total;
  return std::optional<Frame>(Frame{static_cast<FrameKind>(payload[0]), payload.subspan(1), total});
}

Expected<void, FrameError> FrameDecoder::finish() const {
  if (error_) {
    return Unexpected(*error_);
  }
  if (buffered() > 0) {
    return Unexpected(FrameError::kTruncated);
  }
  return {};
}

bool FrameDecoder::ready() const {
  auto head = parse_head();
  return !head || head->has_value();
}

}  // namespace connswap::wire
