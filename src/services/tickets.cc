// DirectorService's resume tickets: when they are due, how they are made and redeemed.

#include "services/detail/tickets.h"

#include <algorithm>
#include <cstddef>
#include <limits>
#include <utility>

#include "base/log.h"
#include "migration/resume.h"

namespace connswap::services::detail {
namespace {

spdlog::logger& logger() {
  return log::get("director");
}

// PROTOCOL.md §8.4: the status a refused ticket earns.
rpc::StatusCode refusal_code(migration::MigrationErrc code) {
  using E = migration::MigrationErrc;
  switch (code) {
    case E::kMalformed:
    case E::kUnsupportedVersion:
    case E::kInvalidArgument:
      return rpc::StatusCode::kInvalidArgument;
    case E::kExpired:
    case E::kNotYetValid:
    case E::kReplayed:
      return rpc::StatusCode::kFailedPrecondition;
    case E::kReplayCacheFull:
    case E::kReplayConnectionLimit:
    case E::kReplayStreamLimit:
    case E::kResourceExhausted:
      return rpc::StatusCode::kResourceExhausted;
    case E::kCrypto:
      return rpc::StatusCode::kInternal;
    default:  // unknown key, bad signature, decrypt failed, mismatch, wrong connection
      return rpc::StatusCode::kUnauthenticated;
  }
}

}  // namespace

void Tickets::enable(migration::Keyring keyring, const ResumeConfig& config, WallClockFn wall) {
  config_ = config;
  wall_now_ = std::move(wall);
  if (verifier_) {
    verifier_->set_keyring(std::move(keyring));
  } else {
    verifier_.emplace(std::move(keyring), config.policy);
  }
}

void Tickets::note(director::StreamKey key, const ClientStream& c, bool forced, Timestamp now) {
  if (!verifier_) {
    return;
  }
  const bool by_count = config_.every_tokens != 0 && c.since_ticket >= config_.every_tokens;
  const bool by_time =
      config_.every != 0 && c.since_ticket != 0 && now - c.ticket_at >= config_.every;
  if (forced || by_count || by_time) {
    due_.push_back(key);
  }
}

std::vector<director::StreamKey> Tickets::take_due() {
  std::vector<director::StreamKey> due = std::move(due_);
  due_.clear();
  std::sort(due.begin(), due.end());
  due.erase(std::unique(due.begin(), due.end()), due.end());
  return due;
}

std::optional<v1::GenerateItem> Tickets::make(ClientStream& c,
                                              const director::ResumePoint& point,
                                              Timestamp now) {
  if (!verifier_ || point.next_seq == 0) {
    return std::nullopt;
  }
  const migration::UnixSeconds wall = wall_now_();
  migration::StreamSnapshot snap;
  snap.connection_id = c.connection_id;
  snap.stream_id = c.stream_id;
  snap.request = c.request;
  snap.next_seq = point.next_seq;
  snap.window = point.window;
  snap.migrations = c.base_migrations + point.migrations;
  snap.created_at = wall;
  snap.failovers = point.failovers;  // the router's count started at the resumed ones
  auto ticket = migration::issue_resume(verifier_->keyring(), snap, wall, config_.ttl_seconds);
  if (!ticket) {
    logger().debug("connection.id={} stream.id={} error=\"{}\": no resume ticket",
                   c.connection_id,
                   c.stream_id,
                   ticket.error().message());
    return std::nullopt;
  }
  c.since_ticket = 0;
  c.ticket_at = now;
  v1::GenerateItem item;
  v1::ResumeTicket* t = item.mutable_ticket();
  t->set_token(ticket->token.data(), ticket->token.size());
  t->set_snapshot(ticket->snapshot.data(), ticket->snapshot.size());
  t->set_next_seq(point.next_seq);
  t->set_expires_at(ticket->expires_at);
  return item;
}

Expected<Redeemed, rpc::Status> Tickets::redeem(const v1::Resume& resume,
                                                const std::string& connection_id) {
  if (!verifier_) {
    return Unexpected(
        rpc::Status{rpc::StatusCode::kFailedPrecondition, "this director has no cluster key"});
  }
  if (connection_id.empty()) {
    return Unexpected(
        rpc::Status{rpc::StatusCode::kInvalidArgument, "resume needs connection-id metadata"});
  }
  if (resume.delivered_size() != 0) {
    if (auto bad = check_delivered_size(resume); !bad.empty()) {
      return Unexpected(rpc::Status{rpc::StatusCode::kInvalidArgument, std::move(bad)});
    }
  }
  auto grant = migration::check_resume(*verifier_,
                                       as_bytes(resume.token()),
                                       as_bytes(resume.snapshot()),
                                       connection_id,
                                       wall_now_());
  if (!grant) {
    return Unexpected(rpc::Status{refusal_code(grant.error().code), grant.error().message()});
  }
  migration::StreamSnapshot& snap = grant->snapshot;
  // Checked before the token is redeemed: a refusal here leaves the ticket usable.
  if (auto bad = check_position(resume, snap); !bad.empty()) {
    ++refused_position_;
    return Unexpected(rpc::Status{rpc::StatusCode::kInvalidArgument, std::move(bad)});
  }
  if (resume.delivered_size() != 0) {
    if (auto bad = check_delivered(resume, snap); !bad.empty()) {
      return Unexpected(rpc::Status{rpc::StatusCode::kInvalidArgument, std::move(bad)});
    }
  }
  auto redeemed = verifier_->redeem(as_bytes(resume.token()), connection_id, wall_now_());
  if (!redeemed) {
    return Unexpected(rpc::Status{refusal_code(redeemed.error().code), redeemed.error().message()});
  }
  const std::uint64_t next = resume.last_seq() + 1;
  Redeemed out{{connection_id, snap.stream_id, snap.request, std::move(snap.window)},
               std::move(snap.request),
               snap.migrations};
  out.spec.request.start_seq = next;
  out.spec.prior_failovers = snap.failovers;  // the migration limit does not restart
  if (resume.delivered_size() != 0) {
    out.spec.window.assign(resume.delivered().begin(), resume.delivered().end());
    return out;
  }
  for (const std::string& text : resume.recent()) {
    out.spec.window.push_back(text);
  }
  return out;
}

ResumeRefusals Tickets::refusals() const {
  ResumeRefusals r;
  if (verifier_) {
    const migration::ReplayStats& s = verifier_->replay_stats();
    r.replay_full = s.refused_full;
    r.per_connection = s.refused_per_connection;
    r.per_stream = s.refused_per_stream;
    r.evictions = s.evictions;
  }
  r.position = refused_position_;
  return r;
}

// Where the client says it stopped (last_seq) must follow the ticket: never before its
// next_seq, and past it only with the tokens to prove it (`recent` or `delivered`), never
// past the request's max_tokens. A client claiming tokens it cannot show would skip them
// and leave the next worker a prefix with a hole (issue 14 item 7). "" = fine.
std::string Tickets::check_position(const v1::Resume& resume,
                                    const migration::StreamSnapshot& snap) const {
  const std::uint64_t last = resume.last_seq();
  const auto recent = static_cast<std::uint64_t>(resume.recent_size());
  const std::string where =
      "last_seq " + std::to_string(last) + " with " + std::to_string(recent) + " recent tokens";
  if (last + 1 < snap.next_seq || last == std::numeric_limits<std::uint64_t>::max()) {
    return where + " is before the ticket's next_seq " + std::to_string(snap.next_seq);
  }
  const std::uint64_t ahead = last + 1 - snap.next_seq;
  if (recent != 0 && recent != ahead) {
    return where + " do not follow the ticket's next_seq " + std::to_string(snap.next_seq);
  }
  if (ahead != 0 && recent == 0 && resume.delivered_size() == 0) {
    return where + ": " + std::to_string(ahead) + " tokens past the ticket's next_seq " +
           std::to_string(snap.next_seq) + " without recent or delivered to show them";
  }
  if (snap.request.max_tokens != 0 && last > snap.request.max_tokens) {
    return where + " is past the request's max_tokens " + std::to_string(snap.request.max_tokens);
  }
  return {};
}

// A Resume's `delivered` must be every token 1..last_seq within the prefix bounds (checked
// before the ticket is redeemed, so such a refusal does not use it up). "" = fine.
std::string Tickets::check_delivered_size(const v1::Resume& resume) const {
  const auto& delivered = resume.delivered();
  const auto count = static_cast<std::uint64_t>(delivered.size());
  if (count != resume.last_seq()) {
    return "delivered has " + std::to_string(count) + " tokens, last_seq is " +
           std::to_string(resume.last_seq());
  }
  std::uint64_t bytes = 0;
  for (const std::string& text : delivered) {
    bytes += text.size();
  }
  if (count > prefix_max_tokens_ || bytes > prefix_max_bytes_) {
    return "delivered (" + std::to_string(count) + " tokens, " + std::to_string(bytes) +
           " bytes) exceeds the prefix bounds (" + std::to_string(prefix_max_tokens_) +
           " tokens, " + std::to_string(prefix_max_bytes_) + " bytes)";
  }
  return {};
}

// ...and agree with what the ticket and `recent` say about its newest tokens.
std::string Tickets::check_delivered(const v1::Resume& resume,
                                     const migration::StreamSnapshot& snap) const {
  const auto& delivered = resume.delivered();
  // The ticket's window ends at next_seq - 1 and `recent` runs from next_seq: both are
  // slices of delivered (0-based index = seq - 1).
  const auto window_end = static_cast<std::ptrdiff_t>(snap.next_seq - 1);
  const auto window_begin = window_end - static_cast<std::ptrdiff_t>(snap.window.size());
  if (!std::equal(snap.window.begin(), snap.window.end(), delivered.begin() + window_begin)) {
    return "delivered does not match the ticket's window";
  }
  if (resume.recent_size() != 0 &&
      !std::equal(resume.recent().begin(), resume.recent().end(), delivered.begin() + window_end)) {
    return "delivered does not match recent";
  }
  return {};
}

}  // namespace connswap::services::detail
