#include "front/event_id.h"

#include <gnutls/gnutls.h>

namespace connswap::front {
namespace {

gnutls_datum_t datum_of(std::string_view s) {
  // GnuTLS takes a non-const pointer but only reads the input datum.
  return {const_cast<unsigned char*>(reinterpret_cast<const unsigned char*>(s.data())),
          static_cast<unsigned int>(s.size())};
}

std::string take(gnutls_datum_t& d) {
  std::string out(reinterpret_cast<const char*>(d.data), d.size);
  gnutls_free(d.data);
  return out;
}

Unexpected<Error> bad(const std::string& what) {
  return make_error(Errc::kInvalidArgument, "Last-Event-ID: " + what);
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
  gnutls_datum_t in = datum_of(bytes);
  gnutls_datum_t out{nullptr, 0};
  if (bytes.empty() || gnutls_base64_encode2(&in, &out) != GNUTLS_E_SUCCESS) {
    return {};
  }
  return take(out);
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.empty()) {
    return std::string();
  }
  gnutls_datum_t in = datum_of(text);
  gnutls_datum_t out{nullptr, 0};
  if (gnutls_base64_decode2(&in, &out) != GNUTLS_E_SUCCESS) {
    return std::nullopt;
  }
  return take(out);
}

Result<ResumePoint> parse_event_id(std::string_view id) {
  const std::size_t dot = id.find('.');
  if (dot == std::string_view::npos) {
    return bad("not an event id of this director (no '.')");
  }
  auto fixed_bytes = base64_decode(id.substr(0, dot));
  auto moving_bytes = base64_decode(id.substr(dot + 1));
  if (!fixed_bytes || !moving_bytes) {
    return bad("not base64");
  }
  v1::HttpResumeId fixed;
  ResumePoint point;
  if (!fixed.ParseFromString(*fixed_bytes) || !point.resume.ParseFromString(*moving_bytes)) {
    return bad("not an event id of this director (bad encoding)");
  }
  if (fixed.token().empty() || fixed.snapshot().empty() || fixed.connection_id().empty() ||
      !point.resume.token().empty() || !point.resume.snapshot().empty()) {
    return bad("incomplete");
  }
  if (fixed.endpoint() > static_cast<std::uint32_t>(openai::Endpoint::kCompletions)) {
    return bad("unknown endpoint " + std::to_string(fixed.endpoint()));
  }
  point.resume.set_token(fixed.token());
  point.resume.set_snapshot(fixed.snapshot());
  point.connection_id = fixed.connection_id();
  point.context.endpoint = static_cast<openai::Endpoint>(fixed.endpoint());
  point.context.include_usage = fixed.include_usage();
  point.context.created = fixed.created();
  point.context.model = fixed.model();
  return point;
}

void EventIds::on_ticket(const v1::ResumeTicket& ticket) {
  if (max_bytes_ == 0) {
    return;
  }
  v1::HttpResumeId fixed;
  fixed.set_token(ticket.token());
  fixed.set_snapshot(ticket.snapshot());
  fixed.set_connection_id(connection_id_);
  fixed.set_endpoint(static_cast<std::uint32_t>(context_.endpoint));
  fixed.set_include_usage(context_.include_usage);
  fixed.set_created(context_.created);
  fixed.set_model(context_.model);
  fixed_ = base64_encode(fixed.SerializeAsString()) + ".";
  ticket_next_seq_ = ticket.next_seq();
  recent_wire_.clear();  // the ticket covers every token before it
  recent_count_ = 0;
}

void EventIds::on_token(std::uint64_t seq, std::string_view text) {
  last_seq_ = seq;
  if (!fixed_.empty()) {
    one_text_.clear_recent();
    one_text_.add_recent(text.data(), text.size());
    one_text_.AppendToString(&recent_wire_);
    ++recent_count_;
  }
}

std::optional<std::string> EventIds::current() const {
  if (fixed_.empty() || last_seq_ == 0) {
    return std::nullopt;
  }
  v1::Resume head;
  head.set_last_seq(last_seq_);
  std::string moving = head.SerializeAsString();
  // recent is optional (the snapshot's window alone is a shorter prefix): sent only when
  // it is exactly the tokens ticket.next_seq..last_seq, as the director requires.
  if (last_seq_ + 1 >= ticket_next_seq_ && recent_count_ == last_seq_ + 1 - ticket_next_seq_) {
    moving += recent_wire_;
  }
  std::string id = fixed_ + base64_encode(moving);
  if (id.size() > max_bytes_) {
    ++too_long_;
    return std::nullopt;
  }
  return id;
}

}  // namespace connswap::front
