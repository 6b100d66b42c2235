// libFuzzer target for the director's request handling: Generate and MGMT requests as bytes
// into a real DirectorService (src/services/director_*, the sans-IO director core) with two
// real registered WorkerServices in place, all over in-memory rpc links on a virtual clock
// (tests/services/world.h; no sockets).
//
// Input: a program of one-byte opcodes with arguments (see Driver::step): Generate calls
// with raw protobuf bytes or a built request (huge prompts and params around the size limit,
// any connection id, resume tickets captured from earlier streams and then mutated, or
// garbage), raw or built MGMT calls (Register over a live label, DrainWorker, MoveStream at
// a live stream, ListSessions, Heartbeat, Drain), cancels, time passing and worker crashes.
// Checks, besides "no crash, no sanitizer report":
// - every call ends exactly once (the director stops at the end of the input) and no item
//   arrives after the end;
// - a stream's tokens are in order and each arrives once (seq strictly +1), and never
//   beyond a built request's max_tokens.
// Build and run: scripts/fuzz.sh. Seeds: fuzz/corpus/director (fuzz/make_seeds.py).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <connswap/v1/director.pb.h>
#include <connswap/v1/migration.pb.h>
#include <google/protobuf/stubs/logging.h>

#include "base/bytes.h"
#include "base/log.h"
#include "base/time.h"
#include "director_fuzz_program.h"
#include "migration/keys.h"
#include "rpc/call.h"
#include "rpc/session.h"
#include "services/common.h"
#include "services/scenario.h"
#include "services/world.h"

namespace {

namespace rpc = connswap::rpc;
namespace v1 = connswap::v1;
namespace services = connswap::services;
using connswap::Bytes;
using connswap::ByteSpan;
using connswap::kMillisecond;
using connswap::kSecond;
using connswap::services::testing::Conn;
using connswap::services::testing::World;
using namespace connswap::fuzz;  // NOLINT: the program's opcodes

// One call from a client or operator, as it saw it.
struct Tracked {
  rpc::Call call;
  int done = 0;
  bool generate = false;
  bool plain = false;            // a built fresh request from seq 1: tokens start at 1
  std::uint32_t max_tokens = 0;  // and end at most here (0 = no bound)
  std::uint64_t last_seq = 0;
};

connswap::migration::Keyring fixed_keyring() {
  const Bytes secret(32, 0x5A);
  connswap::migration::ClusterKey key{"fuzz", connswap::migration::SecretKey(secret)};
  auto ring = connswap::migration::Keyring::create(std::span(&key, 1));
  if (!ring) {
    std::abort();
  }
  return std::move(*ring);
}

// The director's timeouts, scaled down so that a few kTime ops reach each of them (the
// defaults are 2-15 s, blocked_lifetime 120 s): the work of an input is its virtual time.
connswap::director::DirectorConfig short_timeouts() {
  connswap::director::DirectorConfig config;
  config.heartbeat_timeout = 3 * kSecond;
  config.failure_hold = 1 * kSecond;
  config.first_token_timeout = 1 * kSecond;
  config.min_stall = 500 * kMillisecond;
  config.worker_wait = 1 * kSecond;
  config.handover_timeout = 2 * kSecond;
  return config;
}

class Driver {
 public:
  explicit Driver(Program& program) : program_(program), world_(short_timeouts()) {
    world_.director->enable_resume(fixed_keyring(),
                                   services::ResumeConfig{.every_tokens = 2, .every = 0},
                                   [this] { return world_.wall_now(); });
    world_.director->set_stream_limits(
        {.max_streams_per_connection = kMaxStreamsPerConnection, .blocked_lifetime = 3 * kSecond});
    for (const char* label : kLabels) {
      auto config = connswap::services::testing::worker_config(label);
      config.token_interval = kTokenIntervalMs * kMillisecond;
      world_.add_worker(config);
    }
    world_.run_for(100 * kMillisecond);  // both registered
    // Large pieces: FakeLink moves bytes in `chunk`s and erases each from the front of its
    // buffer, so a near-limit (4 MiB) request in 1000-byte chunks would take seconds.
    const connswap::rpc::testing::LinkConfig large{.stream_window = 8 << 20, .chunk = 1 << 20};
    user_ = add_conn(*world_.director_user, large);
    mgmt_ = add_conn(*world_.director_mgmt, large);
  }

  void run() {
    for (int ops = 0; !program_.empty() && ops < kMaxOps; ++ops) {
      step();
    }
    world_.run_for(100 * kMillisecond);
    world_.director->stop();  // ends every stream still open
    world_.settle();
    for (const auto& tracked : calls_) {
      if (tracked->done != 1) {
        std::abort();  // a call that never ended, or ended twice
      }
    }
  }

 private:
  Conn* add_conn(const rpc::Registry& registry, connswap::rpc::testing::LinkConfig link) {
    world_.admin.push_back(std::make_unique<Conn>(registry, link));
    return world_.admin.back().get();
  }

  void step() {
    switch (program_.op<Op>()) {
      case Op::kRawGenerate:
        start(*user_, services::kDirectorGenerate, connection_id(), program_.bytes());
        break;
      case Op::kGenerate:
        generate();
        break;
      case Op::kRawMgmt:
        start(*mgmt_, mgmt_method(), std::nullopt, program_.bytes());
        break;
      case Op::kMgmt:
        mgmt();
        break;
      case Op::kTime: {
        // Bounded per op and per input: unbounded streams (max_tokens 0) cost per token.
        const int ms = std::min(program_.u16() % kMaxAdvanceMs, kMaxVirtualMs - virtual_ms_);
        virtual_ms_ += ms;
        world_.run_for(ms * kMillisecond);
        break;
      }
      case Op::kCancel:
        if (!calls_.empty()) {
          calls_[program_.u8() % calls_.size()]->call.cancel();
        }
        break;
      case Op::kCrash: {
        auto& node = world_.worker(kLabels[program_.u8() % 2]);
        if (!node.dead) {
          node.crash();
        }
        break;
      }
      case Op::kCount:
        break;
    }
  }

  std::optional<std::string> connection_id() {
    switch (program_.u8() % 4) {
      case 0:
        return std::nullopt;
      case 1:
        return "conn-1";
      case 2:
        return last_connection_;
      default:
        return program_.string(program_.u8());
    }
  }

  std::string_view mgmt_method() {
    static constexpr std::string_view kMethods[] = {services::kRegistryRegister,
                                                    services::kRegistryHeartbeat,
                                                    services::kRegistryDrain,
                                                    services::kMigrationDrainWorker,
                                                    services::kMigrationMoveStream,
                                                    services::kMigrationListSessions};
    return kMethods[program_.u8() % std::size(kMethods)];
  }

  void generate() {
    v1::GenerateRequest request;
    const std::uint8_t size = program_.u8();
    // Around the director's size limit (issue 14 item 1), or small.
    const std::size_t limit = world_.director->max_request_bytes();
    const std::size_t prompt = size < 0xFF ? size : limit - 32 + program_.u8() % 64;
    request.set_prompt(std::string(prompt, 'p'));
    request.set_max_tokens(program_.u8() % 16);
    request.set_start_seq(program_.u8() % 4);
    for (std::uint8_t n = program_.u8() % 4; n > 0; --n) {
      (*request.mutable_params())[program_.string(program_.u8())] = program_.string(program_.u8());
    }
    if (program_.flag()) {
      request.set_model(program_.flag() ? "connswap-synthetic" : program_.string(8));
    }
    if (program_.flag()) {
      resume(*request.mutable_resume());
    }
    std::string body;
    request.SerializeToString(&body);
    const bool plain = !request.has_resume() && request.start_seq() <= 1;
    start(*user_,
          services::kDirectorGenerate,
          connection_id(),
          Bytes(body.begin(), body.end()),
          plain,
          request.max_tokens());
  }

  // The last ticket seen, mutated, or garbage.
  void resume(v1::Resume& out) {
    if (ticket_ && program_.flag()) {
      out.set_token(ticket_->token());
      out.set_snapshot(ticket_->snapshot());
      out.set_last_seq(ticket_->next_seq() - 1 + program_.u8() % 3);
    } else {
      out.set_token(program_.string(program_.u8()));
      out.set_snapshot(program_.string(program_.u8()));
      out.set_last_seq(program_.u8());
    }
    const std::uint8_t mutate = program_.u8();
    std::string& target = mutate & 1 ? *out.mutable_token() : *out.mutable_snapshot();
    if ((mutate & 2) && !target.empty()) {
      target[program_.u16() % target.size()] ^= static_cast<char>(program_.u8() | 1);
    }
    for (std::uint8_t n = program_.u8() % 4; n > 0; --n) {
      (mutate & 4 ? out.add_recent() : out.add_delivered())->assign(program_.string(2));
    }
  }

  void mgmt() {
    std::string body;
    std::string_view method;
    const std::string label = program_.flag() ? kLabels[program_.u8() % 2] : program_.string(4);
    switch (program_.u8() % 4) {
      case 0: {  // another certificate's worker takes a live label (issue 14 item 5)
        v1::RegisterRequest r;
        r.set_label(label);
        r.set_user_addr(program_.string(program_.u8()));
        r.set_mgmt_addr(program_.string(program_.u8()));
        r.SerializeToString(&body);
        method = services::kRegistryRegister;
        break;
      }
      case 1: {
        v1::DrainWorkerRequest r;
        r.set_worker(label);
        r.SerializeToString(&body);
        method = services::kMigrationDrainWorker;
        break;
      }
      case 2: {
        v1::MoveStreamRequest r;
        const std::string id = program_.flag() ? last_connection_ : program_.string(4);
        if (program_.flag()) {
          r.mutable_stream()->set_connection_id(id);
          r.mutable_stream()->set_stream_id(program_.u8() % 4);
        } else {
          r.set_connection_id(id);
        }
        r.set_to_worker(label);
        r.SerializeToString(&body);
        method = services::kMigrationMoveStream;
        break;
      }
      default: {
        v1::ListSessionsRequest r;
        r.set_connection_id(program_.flag() ? last_connection_ : "");
        r.set_limit(program_.u8() % 3);
        r.SerializeToString(&body);
        method = services::kMigrationListSessions;
        break;
      }
    }
    start(*mgmt_, method, std::nullopt, Bytes(body.begin(), body.end()));
  }

  // One call: the header, one message, half-close.
  void start(Conn& conn,
             std::string_view method,
             std::optional<std::string> connection_id,
             const Bytes& message,
             bool plain = false,
             std::uint32_t max_tokens = 0) {
    auto tracked = std::make_shared<Tracked>();
    tracked->generate = method == services::kDirectorGenerate;
    tracked->plain = plain;
    tracked->max_tokens = max_tokens;
    rpc::CallOptions options{.method = std::string(method)};
    if (connection_id) {
      options.metadata[std::string(services::kConnectionIdKey)] = *connection_id;
    }
    rpc::CallCallbacks callbacks{
        .on_read = [this, tracked](std::optional<ByteSpan> m) { return on_item(*tracked, m); },
        .on_done = [tracked](const rpc::Status&) { ++tracked->done; }};
    auto call = conn.client->start_call(std::move(options), std::move(callbacks), world_.now);
    if (!call) {
      return;  // e.g. a metadata value the header cannot carry
    }
    tracked->call = *call;
    calls_.push_back(tracked);
    (void)call->write(message);
    (void)call->half_close();
    world_.settle();
  }

  bool on_item(Tracked& tracked, std::optional<ByteSpan> message) {
    if (tracked.done != 0) {
      std::abort();  // an item after the end
    }
    if (!message || !tracked.generate) {
      return true;
    }
    v1::GenerateItem item;
    if (!item.ParseFromArray(message->data(), static_cast<int>(message->size()))) {
      std::abort();  // the director sent an undecodable item
    }
    if (item.has_assigned()) {
      last_connection_ = item.assigned().connection_id();
    } else if (item.has_ticket()) {
      ticket_ = item.ticket();
    } else if (item.has_token()) {
      const std::uint64_t seq = item.token().seq();
      const std::uint64_t expected = tracked.last_seq != 0 ? tracked.last_seq + 1 : 1;
      if ((tracked.last_seq != 0 || tracked.plain) && seq != expected) {
        std::abort();  // lost, duplicated or reordered tokens
      }
      if (tracked.plain && tracked.max_tokens != 0 && seq > tracked.max_tokens) {
        std::abort();  // tokens beyond max_tokens
      }
      tracked.last_seq = seq;
    }
    return true;
  }

  Program& program_;
  World world_;
  Conn* user_ = nullptr;
  Conn* mgmt_ = nullptr;
  std::vector<std::shared_ptr<Tracked>> calls_;
  std::string last_connection_ = "conn-1";
  std::optional<v1::ResumeTicket> ticket_;
  int virtual_ms_ = 0;  // spent by kTime ops
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  connswap::log::set_level("off");           // refusals log a warning each: too slow and too loud
  google::protobuf::SetLogHandler(nullptr);  // invalid UTF-8 in string fields is expected
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Program program(ByteSpan(data, size));
  Driver(program).run();
  return 0;
}
