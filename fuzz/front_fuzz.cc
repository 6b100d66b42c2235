// libFuzzer target for the HTTP front's session (src/front): front::HttpSession fed bytes as
// a client would send them, in any split, with the completion path running for real: a
// real DirectorService and two WorkerServices over in-memory links on a virtual clock
// (tests/services/world.h). Last-Event-ID values go through parse_event_id; some inputs
// carry ids captured from earlier answers of the same input, mutated.
//
// Input: a program of one-byte opcodes (see Driver::step): raw bytes, a built request (a
// chat or completions POST with fuzz fields, a GET, a resume with a captured or garbage
// Last-Event-ID), time passing, the kernel draining or not, the client leaving. Checks,
// besides "no crash, no sanitizer report": nothing is written after close() or after the
// connection went; the session always holds a deadline while it is open (or a client
// could hold it for ever); the answer bytes it queues stay bounded while the kernel takes
// nothing.
// Build and run: scripts/fuzz.sh. Seeds: fuzz/corpus/front (fuzz/make_seeds.py).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include <google/protobuf/stubs/logging.h>

#include "base/log.h"
#include "base/time.h"
#include "front/event_id.h"
#include "front/http_session.h"
#include "front_fuzz_program.h"
#include "migration/keys.h"
#include "services/scenario.h"
#include "services/world.h"

namespace {

namespace front = connswap::front;
namespace services = connswap::services;
namespace v1 = connswap::v1;
using connswap::ByteSpan;
using connswap::kMillisecond;
using connswap::Timestamp;
using connswap::services::testing::World;
using namespace connswap::fuzz;  // NOLINT: the program's opcodes and limits

class FuzzTransport final : public front::Transport {
 public:
  explicit FuzzTransport(World& world) : world_(world) {}
  void write(std::string_view bytes) override {
    if (closed || gone) {
      std::abort();  // written after close() or after the connection went
    }
    queued_bytes += bytes.size();
    last_write.assign(bytes.substr(0, std::min<std::size_t>(bytes.size(), kKeepBytes)));
    capture_event_id(bytes);
  }
  std::size_t queued() const override { return queued_bytes; }
  void set_reading(bool on) override { reading = on; }
  void close() override { closed = true; }
  void set_deadline(Timestamp at) override { deadline = at; }
  void defer(std::function<void()> fn) override { deferred.push_back(std::move(fn)); }
  Timestamp now() const override { return world_.now; }

  void run_deferred() {
    for (int n = 0; !deferred.empty() && n < 10'000; ++n) {
      auto fn = std::move(deferred.front());
      deferred.pop_front();
      fn();
    }
  }

  std::size_t queued_bytes = 0;  // written and not yet taken by the "kernel"
  bool reading = true;
  bool closed = false;
  bool gone = false;  // the session was told on_closed()
  Timestamp deadline = 0;
  std::deque<std::function<void()>> deferred;
  std::string last_write;
  std::string event_id;  // the last SSE `id:` seen

 private:
  void capture_event_id(std::string_view bytes) {
    const auto at = bytes.rfind("\nid: ");
    if (at == std::string_view::npos) {
      return;
    }
    const auto end = bytes.find('\n', at + 5);
    if (end != std::string_view::npos) {
      event_id.assign(bytes.substr(at + 5, end - at - 5));
    }
  }
  World& world_;
};

class WorldBackend final : public front::Backend {
 public:
  explicit WorldBackend(World& world) : world_(world) {}
  void open_stream(std::unique_ptr<services::ClientSink> sink,
                   std::string connection_id,
                   const v1::GenerateRequest& request) override {
    world_.director->open_stream(std::move(sink), std::move(connection_id), request);
  }
  bool ready() const override { return world_.director->stats().workers.active > 0; }
  std::vector<std::string> models() const override { return world_.director->models(); }
  std::int64_t unix_now() const override { return world_.wall_now(); }
  std::size_t max_request_bytes() const override { return world_.director->max_request_bytes(); }

 private:
  World& world_;
};

connswap::migration::Keyring fixed_keyring() {
  const connswap::Bytes secret(32, 0x5A);
  connswap::migration::ClusterKey key{"fuzz", connswap::migration::SecretKey(secret)};
  auto ring = connswap::migration::Keyring::create(std::span(&key, 1));
  if (!ring) {
    std::abort();
  }
  return std::move(*ring);
}

class Driver {
 public:
  explicit Driver(Program& program) : program_(program), transport_(world_), backend_(world_) {
    world_.director->enable_resume(fixed_keyring(),
                                   services::ResumeConfig{.every_tokens = 2, .every = 0},
                                   [this] { return world_.wall_now(); });
    for (const char* label : {"worker-a", "worker-b"}) {
      auto config = connswap::services::testing::worker_config(label);
      config.token_interval = kTokenIntervalMs * kMillisecond;
      world_.add_worker(config);
    }
    world_.run_for(100 * kMillisecond);
    config_.limits.max_body_bytes = 64 * 1024;  // small, so the limits are reachable
    config_.completion.write_high_water = kWriteHighWater;
    session_ = std::make_unique<front::HttpSession>(
        transport_, backend_, config_, stats_, "http-1", "10.9.9.9:5555");
    session_->start(world_.now);
  }

  void run() {
    for (int ops = 0; !program_.empty() && ops < kMaxOps && !transport_.gone; ++ops) {
      step();
      check();
    }
    transport_.gone = true;
    session_->on_closed();
    transport_.run_deferred();
    world_.settle();
    session_.reset();
    world_.director->stop();
    world_.settle();
  }

 private:
  void step() {
    switch (program_.op<Op>()) {
      case Op::kBytes:
        send(program_.string(program_.u16()));
        break;
      case Op::kRequest:
        send(build_request());
        break;
      case Op::kTime: {
        // Bounded per op and per input: a stream with max_tokens 0 costs per token.
        const int ms = std::min(program_.u16() % kMaxAdvanceMs, kMaxVirtualMs - virtual_ms_);
        virtual_ms_ += ms;
        advance(ms * kMillisecond);
        break;
      }
      case Op::kDrain:
        transport_.queued_bytes -= std::min<std::size_t>(transport_.queued_bytes, program_.u16());
        session_->on_drained(world_.now);
        transport_.run_deferred();
        break;
      case Op::kClose:
        transport_.gone = true;
        session_->on_closed();
        transport_.run_deferred();
        break;
      case Op::kCount:
        break;
    }
  }

  void send(const std::string& bytes) {
    if (transport_.closed || !transport_.reading) {
      return;  // the loop does not read a closing or paused connection
    }
    // In pieces, as TCP may deliver them.
    const std::size_t step = 1 + program_.u8();
    for (std::size_t at = 0; at < bytes.size() && !transport_.closed; at += step) {
      session_->on_data(world_.now, std::string_view(bytes).substr(at, step));
      transport_.run_deferred();
    }
  }

  // Event by event, as the loop runs: to the next timer of the world or the session (not
  // in fixed steps: idle time costs nothing), then the deferred calls and a due deadline.
  void advance(connswap::Duration d) {
    const Timestamp end = world_.now + d;
    while (world_.now < end) {
      Timestamp next = std::min(end, world_.next_deadline());
      if (!transport_.closed && transport_.deadline != 0) {
        // A deadline the session left in the past fires again one loop turn later.
        next = std::min(next, std::max(transport_.deadline, world_.now + kStepMs * kMillisecond));
      }
      world_.run_until(std::max(next, world_.now + 1));
      transport_.run_deferred();
      if (!transport_.closed && transport_.deadline != 0 && transport_.deadline <= world_.now) {
        session_->on_deadline(world_.now);
        transport_.run_deferred();
      }
    }
  }

  std::string build_request() {
    const std::uint8_t kind = program_.u8();
    std::string path = kPaths[kind % std::size(kPaths)];
    const bool post = (kind & 0x80) == 0;
    std::string body = post ? build_body() : "";
    std::string head = std::string(post ? "POST " : "GET ") + path + " HTTP/1.1\r\nHost: x\r\n";
    if (post) {
      head += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
              "\r\n";
    }
    if (program_.flag()) {
      head += "Last-Event-ID: " + last_event_id() + "\r\n";
    }
    if (program_.flag()) {
      head += "Connection: close\r\n";
    }
    return head + "\r\n" + body;
  }

  std::string build_body() {
    std::string json =
        program_.flag() ? R"({"messages":[{"role":"user","content":")" : R"({"prompt":")";
    json += std::string(program_.u8(), 'p');
    json += program_.flag() ? R"("}],)" : R"(",)";
    json += R"("max_tokens":)" + std::to_string(program_.u8() % 12);
    json += program_.flag() ? R"(,"stream":true)" : "";
    json += program_.flag() ? R"(,"stream_options":{"include_usage":true})" : "";
    json += program_.flag() ? "" : "," + program_.string(program_.u8() % 32);
    return json + "}";
  }

  // A captured id, mutated, or garbage; each goes through front::parse_event_id too.
  std::string last_event_id() {
    std::string id = transport_.event_id;
    if (id.empty() || program_.flag()) {
      id = program_.string(program_.u8());
    }
    const std::uint8_t mutate = program_.u8();
    if ((mutate & 1) && !id.empty()) {
      id[program_.u16() % id.size()] = static_cast<char>(program_.u8());
    }
    (void)front::parse_event_id(id);
    // A header value cannot hold CR or LF; the raw-bytes op covers those.
    for (char& c : id) {
      if (c == '\r' || c == '\n') {
        c = ' ';
      }
    }
    return id;
  }

  void check() const {
    if (!transport_.closed && !transport_.gone && transport_.deadline == 0) {
      std::abort();  // an open session with no deadline can be held for ever
    }
    // The session stops writing at its high-water mark; one event or the head may cross it.
    if (transport_.queued_bytes > config_.completion.write_high_water + kWriteSlack) {
      std::abort();  // unbounded answer bytes while the kernel takes nothing
    }
  }

  Program& program_;
  World world_;
  FuzzTransport transport_;
  WorldBackend backend_;
  front::HttpFrontConfig config_;
  front::HttpFrontStats stats_;
  std::unique_ptr<front::HttpSession> session_;
  int virtual_ms_ = 0;  // spent by kTime ops
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  connswap::log::set_level("off");
  google::protobuf::SetLogHandler(nullptr);  // invalid UTF-8 in string fields is expected
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Program program(ByteSpan(data, size));
  Driver(program).run();
  return 0;
}
