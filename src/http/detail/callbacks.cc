// libhttp-parser callbacks: trampolines into ParserState that only record (STYLE.md 2.2).

#include "http/detail/parser_state.h"

namespace connswap::http::detail {

namespace {

ParserState& self(http_parser* p) {
  return *static_cast<ParserState*>(p->data);
}

int pause_at(http_parser* p, Event event) {
  self(p).event = event;
  http_parser_pause(p, 1);
  return 0;
}

int on_url(http_parser* p, const char* at, std::size_t len) {
  self(p).request.target.append(at, len);
  return 0;
}

int on_header_field(http_parser* p, const char* at, std::size_t len) {
  return self(p).on_field(at, len);
}

int on_header_value(http_parser* p, const char* at, std::size_t len) {
  return self(p).on_value(at, len);
}

int on_headers_complete(http_parser* p) {
  return pause_at(p, Event::kHeadDone);
}

int on_chunk_header(http_parser* p) {
  auto& s = self(p);
  // Refuse a chunk that cannot fit before its bytes arrive (content_length = chunk size).
  if (p->content_length > s.limits.max_body_bytes - s.request.body.size()) {
    return s.fail_callback(ParseError::kBodyTooLarge);
  }
  return pause_at(p, Event::kChunkHeader);
}

int on_chunk_complete(http_parser* p) {
  return pause_at(p, Event::kChunkDone);
}

int on_body(http_parser* p, const char* at, std::size_t len) {
  auto& s = self(p);
  if (len > s.limits.max_body_bytes - s.request.body.size()) {
    return s.fail_callback(ParseError::kBodyTooLarge);
  }
  s.request.body.append(at, len);
  return 0;
}

int on_message_complete(http_parser* p) {
  auto& s = self(p);
  s.ready = true;
  s.want_continue = false;
  s.request.keep_alive = http_should_keep_alive(p) != 0;
  s.closed = !s.request.keep_alive;  // RFC 9112 §9.6: no request after "close" is processed
  return pause_at(p, Event::kMessageDone);
}

}  // namespace

const http_parser_settings& parser_settings() {
  static const http_parser_settings kSettings = [] {
    http_parser_settings s{};
    http_parser_settings_init(&s);
    s.on_url = on_url;
    s.on_header_field = on_header_field;
    s.on_header_value = on_header_value;
    s.on_headers_complete = on_headers_complete;
    s.on_chunk_header = on_chunk_header;
    s.on_chunk_complete = on_chunk_complete;
    s.on_body = on_body;
    s.on_message_complete = on_message_complete;
    return s;
  }();
  return kSettings;
}

}  // namespace connswap::http::detail
