// DirectorService, fourth part: resume tickets handed to clients in-band, and Generate
// calls that continue a stream from one (docs/PROTOCOL.md §8.6).

#include <utility>

#include "base/log.h"
#include "migration/resume.h"
#include "services/convert.h"
#include "services/detail/director_impl.h"

namespace connswap::services {

using director::StreamKey;

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

std::vector<std::string> as_vector(const google::protobuf::RepeatedPtrField<std::string>& f) {
  return {f.begin(), f.end()};
}

}  // namespace

void DirectorService::Impl::enable_resume(migration::Keyring keyring,
                                          const ResumeConfig& config,
                                          WallClockFn wall) {
  resume_ = config;
  wall_now_ = std::move(wall);
  if (verifier_) {
    verifier_->set_keyring(std::move(keyring));
  } else {
    verifier_.emplace(std::move(keyring), config.policy);
  }
}

// A Generate call carrying a ticket: check it (token, snapshot, same stream and request),
// redeem it, and open the stream again at last_seq + 1 under its old stream id.
void DirectorService::Impl::on_resume(GenerateCall call,
                                      const v1::Resume& resume,
                                      const std::string& connection_id) {
  auto refuse = [&](rpc::StatusCode code, const std::string& why) {
    ++extra_.resumes_refused;
    logger().warn("connection.id={} peer={} reason=\"{}\": ⛔ resume refused",
                  connection_id,
                  call.raw().peer().address,
                  why);
    (void)call.finish({code, "resume refused: " + why});
  };
  if (!verifier_) {
    return refuse(rpc::StatusCode::kFailedPrecondition, "this director has no cluster key");
  }
  if (connection_id.empty()) {
    return refuse(rpc::StatusCode::kInvalidArgument, "resume needs connection-id metadata");
  }
  auto grant = migration::redeem_resume(*verifier_,
                                        as_bytes(resume.token()),
                                        as_bytes(resume.snapshot()),
                                        connection_id,
                                        wall_now_());
  if (!grant) {
    return refuse(refusal_code(grant.error().code), grant.error().message());
  }
  migration::StreamSnapshot& snap = grant->snapshot;
  const std::uint64_t next = resume.last_seq() + 1;
  const auto recent = static_cast<std::uint64_t>(resume.recent_size());
  if (next < snap.next_seq || (recent != 0 && recent != next - snap.next_seq)) {
    return refuse(rpc::StatusCode::kInvalidArgument,
                  "last_seq " + std::to_string(resume.last_seq()) + " and " +
                      std::to_string(resume.recent_size()) +
                      " recent tokens do not follow the ticket's next_seq " +
                      std::to_string(snap.next_seq));
  }
  // The client's old call may still be open here (its connection went silently): the
  // ticket proves the stream is the caller's, so that call ends now.
  for (auto& [key, c] : clients_) {
    if (c.connection_id == connection_id && c.stream_id == snap.stream_id) {
      const StreamKey old = key;
      run([&] { router_.on_client_cancel(old, now_()); });
      break;
    }
  }
  director::StreamSpec spec{connection_id, snap.stream_id, snap.request, std::move(snap.window)};
  spec.request.start_seq = next;
  for (std::string& text : as_vector(resume.recent())) {
    spec.window.push_back(std::move(text));
  }
  ++extra_.resumes;
  logger().info("connection.id={} stream.id={} resume_seq={} migrations={}: ♻️  stream resumed",
                connection_id,
                snap.stream_id,
                next,
                snap.migrations);
  const Timestamp now = now_();
  run([&] {
    auto key = router_.open_stream(std::move(spec), now);
    if (!key) {
      (void)call.finish({rpc::StatusCode::kInvalidArgument, key.error().message()});
      return;
    }
    ClientStream c;
    c.connection_id = connection_id;
    c.stream_id = snap.stream_id;
    c.request = std::move(snap.request);
    c.base_migrations = snap.migrations;
    add_client(*key, std::move(call), std::move(c));
  });
}

// A ticket is due after Assigned (`forced`), then every resume_.every_tokens tokens or at
// the first token resume_.every after the last ticket.
void DirectorService::Impl::ticket_due(StreamKey key, bool forced, Timestamp now) {
  if (!verifier_) {
    return;
  }
  auto it = clients_.find(key);
  if (it == clients_.end()) {
    return;
  }
  const ClientStream& c = it->second;
  const bool by_count = resume_.every_tokens != 0 && c.since_ticket >= resume_.every_tokens;
  const bool by_time =
      resume_.every != 0 && c.since_ticket != 0 && now - c.ticket_at >= resume_.every;
  if (forced || by_count || by_time) {
    tickets_due_.push_back(key);
  }
}

void DirectorService::Impl::issue_due_tickets() {
  std::vector<StreamKey> due = std::move(tickets_due_);
  tickets_due_.clear();
  std::sort(due.begin(), due.end());
  due.erase(std::unique(due.begin(), due.end()), due.end());
  for (StreamKey key : due) {
    if (auto point = router_.resume_point(key)) {
      send_ticket(key, *point);
    }
  }
}

void DirectorService::Impl::send_ticket(StreamKey key, const director::ResumePoint& point) {
  auto it = clients_.find(key);
  if (!verifier_ || it == clients_.end() || point.next_seq == 0) {
    return;
  }
  ClientStream& c = it->second;
  const migration::UnixSeconds wall = wall_now_();
  migration::StreamSnapshot snap;
  snap.connection_id = c.connection_id;
  snap.stream_id = c.stream_id;
  snap.request = c.request;
  snap.next_seq = point.next_seq;
  snap.window = point.window;
  snap.migrations = c.base_migrations + point.migrations;
  snap.created_at = wall;
  auto ticket = migration::issue_resume(verifier_->keyring(), snap, wall, resume_.ttl_seconds);
  if (!ticket) {
    logger().debug("connection.id={} stream.id={} error=\"{}\": no resume ticket",
                   c.connection_id,
                   c.stream_id,
                   ticket.error().message());
    return;
  }
  const Timestamp now = now_();
  c.since_ticket = 0;
  c.ticket_at = now;
  ++extra_.tickets_issued;
  (void)sessions_.on_resume_token(c.connection_id, now);
  v1::GenerateItem item;
  v1::ResumeTicket* t = item.mutable_ticket();
  t->set_token(ticket->token.data(), ticket->token.size());
  t->set_snapshot(ticket->snapshot.data(), ticket->snapshot.size());
  t->set_next_seq(point.next_seq);
  t->set_expires_at(ticket->expires_at);
  send(key, std::move(item));
}

}  // namespace connswap::services
