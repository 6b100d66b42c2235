#pragma once
// Private to DirectorService: resume tickets (docs/PROTOCOL.md §8.6). Decides when a stream
// is due a fresh ticket, makes the ResumeTicket item from the router's resume point, and
// redeems a client's ticket into the stream to open again.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <connswap/v1/director.pb.h>

#include "director/actions.h"
#include "director/stream_types.h"
#include "migration/keys.h"
#include "migration/snapshot.h"
#include "migration/token.h"
#include "rpc/status.h"
#include "services/detail/client_streams.h"
#include "services/director_service.h"

namespace connswap::services::detail {

// A redeemed ticket: the stream to open again, and its migrations so far.
struct Redeemed {
  director::StreamSpec spec;  // request.start_seq = last_seq + 1
  GenerateRequest request;    // the snapshot's request, as first asked
  std::uint32_t migrations = 0;
};

class Tickets {
 public:
  // A Resume's `delivered` may hold at most these (DirectorConfig's prefix bounds).
  Tickets(std::uint32_t prefix_max_tokens, std::uint32_t prefix_max_bytes)
      : prefix_max_tokens_(prefix_max_tokens), prefix_max_bytes_(prefix_max_bytes) {}

  // Turns tickets on (see DirectorService::enable_resume).
  void enable(migration::Keyring keyring, const ResumeConfig& config, WallClockFn wall);
  bool enabled() const { return verifier_.has_value(); }

  // Notes that `key` is due a ticket: after Assigned (`forced`), then every every_tokens
  // tokens or at the first token `every` after the last ticket.
  void note(director::StreamKey key, const ClientStream& c, bool forced, Timestamp now);
  // The streams due a ticket since the last call, each once, in key order.
  std::vector<director::StreamKey> take_due();
  bool any_due() const { return !due_.empty(); }
  // A ResumeTicket item for `c` stopped at `point`; nullopt if tickets are off or the
  // ticket cannot be made (logged). Resets c's ticket counters.
  std::optional<v1::GenerateItem> make(ClientStream& c,
                                       const director::ResumePoint& point,
                                       Timestamp now);
  // Checks and redeems a client's Resume (token, snapshot, last_seq, recent or delivered
  // tokens) for `connection_id`: the stream to open at last_seq + 1 (with the whole prefix
  // when `delivered` is set), or the status to refuse with.
  Expected<Redeemed, rpc::Status> redeem(const v1::Resume& resume,
                                         const std::string& connection_id);
  // Refusals by limit so far (for DirectorStats).
  ResumeRefusals refusals() const;

 private:
  std::string check_position(const v1::Resume& resume, const migration::StreamSnapshot& snap) const;
  std::string check_delivered_size(const v1::Resume& resume) const;
  std::string check_delivered(const v1::Resume& resume,
                              const migration::StreamSnapshot& snap) const;

  std::optional<migration::TokenVerifier> verifier_;
  ResumeConfig config_;
  WallClockFn wall_now_;
  std::vector<director::StreamKey> due_;
  std::uint32_t prefix_max_tokens_;
  std::uint32_t prefix_max_bytes_;
  std::uint64_t refused_position_ = 0;
};

}  // namespace connswap::services::detail
