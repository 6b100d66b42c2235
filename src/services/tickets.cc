// DirectorService's resume tickets: when they are due, how they are made and redeemed.

#include "services/detail/tickets.h"

#include <algorithm>
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
  auto grant = migration::redeem_resume(*verifier_,
                                        as_bytes(resume.token()),
                                        as_bytes(resume.snapshot()),
                                        connection_id,
                                        wall_now_());
  if (!grant) {
    return Unexpected(rpc::Status{refusal_code(grant.error().code), grant.error().message()});
  }
  migration::StreamSnapshot& snap = grant->snapshot;
  const std::uint64_t next = resume.last_seq() + 1;
  const auto recent = static_cast<std::uint64_t>(resume.recent_size());
  if (next < snap.next_seq || (recent != 0 && recent != next - snap.next_seq)) {
    return Unexpected(rpc::Status{rpc::StatusCode::kInvalidArgument,
                                  "last_seq " + std::to_string(resume.last_seq()) + " and " +
                                      std::to_string(resume.recent_size()) +
                                      " recent tokens do not follow the ticket's next_seq " +
                                      std::to_string(snap.next_seq)});
  }
  Redeemed out{{connection_id, snap.stream_id, snap.request, std::move(snap.window)},
               std::move(snap.request),
               snap.migrations};
  out.spec.request.start_seq = next;
  for (const std::string& text : resume.recent()) {
    out.spec.window.push_back(text);
  }
  return out;
}

}  // namespace connswap::services::detail
