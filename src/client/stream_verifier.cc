#include "client/stream_verifier.h"

#include <utility>

#include "worker/generator.h"

namespace connswap::client {
namespace {

// A jump further than this is not a gap to remember but garbage from the peer.
constexpr std::uint64_t kMaxGap = 1U << 20;

}  // namespace

StreamVerifier::StreamVerifier(GenerateRequest request)
    : request_(std::move(request)), expected_(request_.start_seq) {}

void StreamVerifier::on_item(const StreamItem& item) {
  if (tally_.done) {
    ++tally_.protocol_errors;  // nothing may follow Done
    return;
  }
  if (const auto* a = std::get_if<Assigned>(&item)) {
    // Once per call; the ids never change, not even across resumed calls: that is the point
    // of migrating behind them.
    if (assigned_ || (!connection_id_.empty() &&
                      (a->connection_id != connection_id_ || a->stream_id != stream_id_))) {
      ++tally_.protocol_errors;
    }
    assigned_ = true;
    connection_id_ = a->connection_id;
    stream_id_ = a->stream_id;
    worker_ = a->worker;
  } else if (const auto* t = std::get_if<Token>(&item)) {
    on_token(*t);
  } else if (const auto* m = std::get_if<Migrated>(&item)) {
    on_migrated(*m);
  } else if (const auto* d = std::get_if<Done>(&item)) {
    tally_.done = true;
    if (d->tokens != call_tokens_) {
      ++tally_.protocol_errors;
    }
  }
}

void StreamVerifier::on_resumed() {
  ++tally_.resumes;
  assigned_ = false;
  call_tokens_ = 0;
}

void StreamVerifier::on_token(const Token& t) {
  if (t.seq == expected_) {
    ++expected_;
  } else if (t.seq > expected_) {
    if (t.seq - expected_ > kMaxGap || past_end(request_, t.seq)) {
      ++tally_.protocol_errors;
      return;
    }
    for (std::uint64_t s = expected_; s < t.seq; ++s) {
      missing_.insert(s);
    }
    expected_ = t.seq + 1;
  } else if (missing_.erase(t.seq) == 1) {
    ++tally_.out_of_order;
  } else {
    ++tally_.duplicated;
    return;
  }
  ++tally_.tokens;
  ++call_tokens_;
  check_text(t);
}

void StreamVerifier::check_text(const Token& t) {
  if (t.text != worker::demo_token(request_.prompt, t.seq)) {
    ++tally_.mismatched;
  }
}

void StreamVerifier::on_migrated(const Migrated& m) {
  ++tally_.migrations;
  // The director resumes exactly where the client is, from the worker it was on.
  if (m.resume_seq != expected_ || (!worker_.empty() && m.from != worker_)) {
    ++tally_.protocol_errors;
  }
  worker_ = m.to;
}

StreamTally StreamVerifier::tally() const {
  StreamTally t = tally_;
  t.lost = missing_.size();
  if (request_.max_tokens != 0 && expected_ <= request_.max_tokens) {
    t.lost += request_.max_tokens + 1 - expected_;
  }
  // An unbounded stream has no Done: the client ending it is its end.
  const bool ended = t.done || (ended_by_client_ && request_.max_tokens == 0 && t.tokens > 0);
  t.verified = ended && t.lost == 0 && t.duplicated == 0 && t.out_of_order == 0 &&
               t.mismatched == 0 && t.protocol_errors == 0;
  return t;
}

void ClientSummary::add(const StreamTally& tally) {
  ++streams;
  tokens += tally.tokens;
  migrations += tally.migrations;
  lost += tally.lost;
  duplicated += tally.duplicated;
  out_of_order += tally.out_of_order;
  resumes += tally.resumes;
  verified = verified && tally.verified;
}

std::string format_summary(const ClientSummary& s) {
  const bool verified = s.verified && s.streams > 0;
  return "summary connection.id=" + s.connection_id + " streams=" + std::to_string(s.streams) +
         " tokens=" + std::to_string(s.tokens) + " migrations=" + std::to_string(s.migrations) +
         " lost=" + std::to_string(s.lost) + " duplicated=" + std::to_string(s.duplicated) +
         " out_of_order=" + std::to_string(s.out_of_order) +
         " resumes=" + std::to_string(s.resumes) + " rebinds=" + std::to_string(s.rebinds) +
         " quic_handshakes=" + std::to_string(s.quic_handshakes) +
         " verified=" + (verified ? "true" : "false");
}

}  // namespace connswap::client
