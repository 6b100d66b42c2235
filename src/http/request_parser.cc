#include "http/request_parser.h"

#include <utility>

#include "http/detail/parser_state.h"

namespace connswap::http {

RequestParser::RequestParser(Limits limits)
    : impl_(std::make_unique<detail::ParserState>(limits)) {}

RequestParser::~RequestParser() = default;

Expected<void, ParseError> RequestParser::feed(std::string_view bytes) {
  detail::ParserState& s = *impl_;
  if (!s.error && !s.closed) {
    s.buf.append(bytes);
    if (!s.ready) {
      s.parse();
    }
  }
  if (s.error) {
    return Unexpected(*s.error);
  }
  return {};
}

std::optional<Request> RequestParser::take() {
  detail::ParserState& s = *impl_;
  if (!s.ready) {
    return std::nullopt;
  }
  Request out = std::move(s.request);
  s.reset_message();
  http_parser_pause(&s.parser, 0);
  s.parse();
  return out;
}

bool RequestParser::take_continue() {
  return std::exchange(impl_->want_continue, false);
}

std::optional<ParseError> RequestParser::error() const {
  return impl_->error;
}

bool RequestParser::mid_request() const {
  const detail::ParserState& s = *impl_;
  return !s.error && !s.ready && !s.closed &&
         (!s.in_head || s.head_bytes > 0 || s.pos < s.buf.size());
}

std::size_t RequestParser::buffered() const {
  return impl_->buf.size() - impl_->pos;
}

}  // namespace connswap::http
