#pragma once
// SSE event ids that resume a stream (docs/PROTOCOL.md §9, "Resuming an SSE stream"). A
// director with a cluster key sends ResumeTickets on every stream; on HTTP each token
// event then carries
//
//   id: <base64(HttpResumeId)>.<base64(Resume{last_seq, recent})>
//
// the fixed half written once per ticket, the other half per event: the last token the
// event completes and the texts of the tokens since the ticket. A client sends the last id
// it saw back as Last-Event-ID (this or another director of the cluster), which becomes a
// Generate with a Resume: the stream continues at last_seq + 1, nothing lost or repeated.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "connswap/v1/director.pb.h"
#include "openai/response.h"

namespace connswap::front {

// What a Last-Event-ID says: the Resume for the director and how to render what follows.
struct ResumePoint {
  v1::Resume resume;
  std::string connection_id;
  openai::StreamContext context;  // endpoint, created, model, include_usage (id: from Assigned)
};

// kInvalidArgument with what is wrong (not base64, not the protobuf, bad endpoint...).
Result<ResumePoint> parse_event_id(std::string_view id);

// The ids of one stream's events.
class EventIds {
 public:
  // `max_bytes`: an id longer than this is not sent (the client's last id stays the one
  // before, which still resumes exactly); 0 = no ids at all.
  EventIds(std::string connection_id, const openai::StreamContext& context, std::size_t max_bytes)
      : connection_id_(std::move(connection_id)), context_(context), max_bytes_(max_bytes) {}

  void on_ticket(const v1::ResumeTicket& ticket);
  // Token `seq` with its text as the worker sent it (before any UTF-8 joining).
  void on_token(std::uint64_t seq, std::string_view text);
  // The id for an event that completes the last token seen; nullopt before the first
  // ticket or when it would exceed max_bytes.
  std::optional<std::string> current() const;
  std::uint64_t too_long() const { return too_long_; }

 private:
  std::string connection_id_;
  openai::StreamContext context_;
  std::size_t max_bytes_;
  std::string fixed_;  // base64(HttpResumeId) + "."; empty before the first ticket
  std::uint64_t ticket_next_seq_ = 0;
  std::uint64_t last_seq_ = 0;
  // The texts of the tokens ticket_next_seq_..last_seq_ as a serialized Resume holding only
  // `recent`, appended to per token: serialized messages concatenate (repeated fields
  // append), so an event's id costs one copy of it, not one allocation per text.
  std::string recent_wire_;
  std::size_t recent_count_ = 0;
  v1::Resume one_text_;  // reused to serialize one more text into recent_wire_
  mutable std::uint64_t too_long_ = 0;
};

std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace connswap::front
