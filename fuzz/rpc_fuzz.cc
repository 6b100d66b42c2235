// libFuzzer target for the rpc inbound path: one sans-IO rpc::Session (src/rpc, the Core
// of core_inbound.cc) driven by a peer made of fuzz bytes, over a transport that keeps
// QUIC's per-stream flow-control rules.
//
// Input: a program of one-byte opcodes with arguments (see Driver::step): open a peer
// stream, raw bytes or a well-formed header / message / trailer frame on any stream (peer-
// or locally-opened, known or not), FIN, RESET_STREAM, STOP_SENDING, writable, time
// passing, outgoing calls, and handler actions (pause, resume, write, finish, cancel,
// half-close). Checks, besides "no crash, no sanitizer report":
// - every call's on_done runs exactly once (the Session's destructor ends the rest), and no
//   on_read runs after it;
// - the core never returns more flow credit than it received, never writes after its FIN
//   or reset, and keeps each stream's send queue under the high-water mark plus a frame;
// - credit is never stranded: when no live call is paused, every received byte has been
//   returned (the peer, limited by the window, could otherwise stall for ever).
// Build and run: scripts/fuzz.sh. Seeds: fuzz/corpus/rpc (fuzz/make_seeds.py).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <connswap/v1/test.pb.h>
#include <google/protobuf/stubs/logging.h>

#include "base/bytes.h"
#include "base/error.h"
#include "base/time.h"
#include "rpc/call.h"
#include "rpc/registry.h"
#include "rpc/session.h"
#include "rpc/status.h"
#include "rpc/transport.h"
#include "rpc_fuzz_program.h"
#include "wire/envelope.h"
#include "wire/frame.h"

namespace {

namespace rpc = connswap::rpc;
namespace wire = connswap::wire;
using connswap::Bytes;
using connswap::ByteSpan;
using connswap::Timestamp;
using namespace connswap::fuzz;  // NOLINT: the program's opcodes and limits

// Per-stream accounting as a QUIC transport sees it.
struct StreamBook {
  std::size_t delivered = 0;  // bytes handed to the Session
  std::size_t consumed = 0;   // credit the Session returned
  std::size_t buffered = 0;   // bytes the Session sent, not yet acknowledged by the peer
  bool peer_done = false;     // the peer sent FIN or RESET_STREAM: no more data
  bool local_done = false;    // the Session sent FIN or RESET_STREAM: no more sends
};

class FuzzTransport : public rpc::StreamTransport {
 public:
  connswap::Result<rpc::StreamId> open_stream() override {
    if (refuse_open) {
      return connswap::make_error(connswap::Errc::kResourceExhausted, "stream limit");
    }
    const rpc::StreamId id = next_local_;
    next_local_ += 4;  // server-initiated bidirectional ids: 1, 5, 9, ...
    streams[id];
    return id;
  }
  connswap::Result<void> send(rpc::StreamId id, Bytes data, bool fin) override {
    StreamBook& book = streams[id];
    if (book.local_done) {
      std::abort();  // sent after its own FIN or reset
    }
    if (fail_sends) {
      return connswap::make_error(connswap::Errc::kIo, "injected send failure");
    }
    book.buffered += data.size();
    if (book.buffered > kHighWater + wire::frame_size(kMaxFrame) + kTrailerSlack) {
      std::abort();  // the send queue bound does not hold
    }
    book.local_done = fin;
    return {};
  }
  std::size_t send_buffered(rpc::StreamId id) const override {
    auto it = streams.find(id);
    return it == streams.end() ? 0 : it->second.buffered;
  }
  void consume(rpc::StreamId id, std::size_t bytes) override {
    StreamBook& book = streams[id];
    book.consumed += bytes;
    if (book.consumed > book.delivered) {
      std::abort();  // credit returned for bytes never received
    }
  }
  void reset_stream(rpc::StreamId id, std::uint64_t) override { streams[id].local_done = true; }
  void stop_sending(rpc::StreamId, std::uint64_t) override {}

  std::map<rpc::StreamId, StreamBook> streams;
  bool refuse_open = false;
  bool fail_sends = false;

 private:
  rpc::StreamId next_local_ = 1;
};

// One call as the application sees it.
struct Tracked {
  rpc::Call call;
  int done = 0;
  bool paused = false;
};

class Driver {
 public:
  explicit Driver(Program& program) : program_(program) {
    add_methods();
    session_ = std::make_unique<rpc::Session>(
        transport_, &registry_, rpc::SessionConfig{kMaxFrame, kHighWater});
  }

  void run() {
    while (!program_.empty() && !lost_) {
      step();
    }
    check_credit();
    session_.reset();  // ends every open call
    for (const auto& tracked : calls_) {
      if (tracked->done != 1) {
        std::abort();  // a call that never ended
      }
    }
  }

 private:
  void add_methods() {
    for (const char* name : kMethods) {
      (void)registry_.add(name, rpc::CallShape::kBidi, [this](rpc::Call call) { track(call); });
    }
    (void)registry_.add_unary<connswap::v1::test::EchoRequest, connswap::v1::test::EchoResponse>(
        kUnaryMethod, [](auto call, const connswap::v1::test::EchoRequest& request) {
          connswap::v1::test::EchoResponse response;
          response.set_text(request.text());
          (void)call.reply(response);
        });
  }

  rpc::ReadFn reader(const std::shared_ptr<Tracked>& tracked) {
    return [tracked](std::optional<ByteSpan> message) {
      if (tracked->done != 0) {
        std::abort();  // read after the end
      }
      return !message || message->empty() || (*message)[0] != kUndecodable;
    };
  }
  rpc::DoneFn on_done(const std::shared_ptr<Tracked>& tracked) {
    return [tracked](const rpc::Status&) {
      if (++tracked->done != 1) {
        std::abort();  // ended twice
      }
    };
  }

  void track(rpc::Call call) {
    auto tracked = std::make_shared<Tracked>();
    tracked->call = call;
    call.on_read(reader(tracked));
    call.on_done(on_done(tracked));
    calls_.push_back(tracked);
  }

  void step() {
    switch (program_.op<Op>()) {
      case Op::kOpenPeerStream:
        session_->on_stream_opened(next_peer_);
        transport_.streams[next_peer_];
        next_peer_ += 4;  // client-initiated bidirectional ids: 0, 4, 8, ...
        break;
      case Op::kRawData:
        deliver(pick_stream(), program_.bytes(), program_.flag());
        break;
      case Op::kFrame:
        deliver_frame();
        break;
      case Op::kFin:
        deliver(pick_stream(), {}, true);
        break;
      case Op::kPeerReset:
        peer_reset();
        break;
      case Op::kStopSending:
        session_->on_stop_sending(pick_stream(), program_.u8());
        break;
      case Op::kAcked:
        acked();
        break;
      case Op::kTime:
        advance();
        break;
      case Op::kStartCall:
        start_call();
        break;
      case Op::kCallAction:
        call_action();
        break;
      case Op::kTransportToggle:
        transport_.refuse_open = program_.flag();
        transport_.fail_sends = program_.u8() == 0xFF;
        if (!transport_.refuse_open) {
          session_->on_streams_available(now_);
        }
        break;
      case Op::kEnd:
        end_session();
        break;
      case Op::kCount:
        break;
    }
  }

  rpc::StreamId pick_stream() {
    const std::uint8_t which = program_.u8();
    // Mostly a stream the transport knows of; sometimes an id nobody opened.
    if (which >= 0xF0 || transport_.streams.empty()) {
      return which;
    }
    auto it = transport_.streams.begin();
    std::advance(it, which % transport_.streams.size());
    return it->first;
  }

  // Hands bytes to the Session within the stream's flow-control window, as QUIC would.
  void deliver(rpc::StreamId id, Bytes data, bool fin) {
    StreamBook& book = transport_.streams[id];
    if (book.peer_done) {
      return;
    }
    const std::size_t credit = kWindow + book.consumed - book.delivered;
    if (data.size() > credit) {
      data.resize(credit);
      fin = false;
    }
    book.delivered += data.size();
    book.peer_done = fin;
    session_->on_stream_data(id, data, fin, now_);
  }

  void deliver_frame() {
    const rpc::StreamId id = pick_stream();
    Bytes frame;
    switch (program_.u8() % 4) {
      case 0: {
        wire::CallHeader header;
        header.method = pick_method(program_);
        header.timeout_ms = program_.u8() * 10u;
        if (program_.flag()) {
          header.metadata["k"] = std::string(program_.u8(), 'v');
        }
        (void)wire::append_header_frame(frame, header);
        break;
      }
      case 1: {
        const Bytes body = program_.bytes();
        wire::append_frame(frame, wire::FrameKind::kMessage, body);
        break;
      }
      case 2: {  // a large message from a short input
        const std::size_t size = program_.u16() % (2 * kMaxFrame);
        wire::append_frame(frame, wire::FrameKind::kMessage, Bytes(size, program_.u8()));
        break;
      }
      default: {
        const auto code = program_.u8();
        wire::append_trailer_frame(frame, {code, std::string(program_.u8(), 'm')});
        break;
      }
    }
    deliver(id, std::move(frame), program_.flag());
  }

  void peer_reset() {
    const rpc::StreamId id = pick_stream();
    const std::uint64_t code = program_.u8();
    StreamBook& book = transport_.streams[id];
    if (!book.peer_done) {
      book.peer_done = true;
      session_->on_stream_reset(id, code);
    }
  }

  void acked() {
    const rpc::StreamId id = pick_stream();
    StreamBook& book = transport_.streams[id];
    book.buffered -= std::min<std::size_t>(book.buffered, program_.u16());
    session_->on_stream_writable(id);
  }

  void advance() {
    now_ += static_cast<Timestamp>(program_.u16()) * connswap::kMillisecond;
    if (now_ >= session_->deadline()) {
      session_->on_timeout(now_);
    }
  }

  void start_call() {
    auto tracked = std::make_shared<Tracked>();
    rpc::CallOptions options{.method = pick_method(program_), .deadline = connswap::kNever};
    if (program_.flag()) {
      options.deadline = now_ + program_.u8() * connswap::kMillisecond;
    }
    rpc::CallCallbacks callbacks{.on_read = reader(tracked), .on_done = on_done(tracked)};
    auto call = session_->start_call(std::move(options), std::move(callbacks), now_);
    if (call) {
      tracked->call = *call;
      calls_.push_back(tracked);
    }
  }

  void call_action() {
    const std::uint8_t which = program_.u8();
    const std::uint8_t action = program_.u8();
    if (calls_.empty()) {
      return;
    }
    Tracked& tracked = *calls_[which % calls_.size()];
    switch (action % 8) {
      case 0:
        tracked.call.pause_reading();
        tracked.paused = true;
        break;
      case 1:
        tracked.call.resume_reading();
        tracked.paused = false;
        break;
      case 2:
        (void)tracked.call.write(program_.bytes());
        break;
      case 3:
        (void)tracked.call.finish({static_cast<rpc::StatusCode>(action % 17), "done"});
        break;
      case 4:
        tracked.call.cancel();
        break;
      case 5:
        (void)tracked.call.half_close();
        break;
      case 6:  // a large message from a short input
        (void)tracked.call.write(Bytes(program_.u16() % (2 * kMaxFrame), 'w'));
        break;
      default:
        (void)tracked.call.queued_bytes();
        (void)tracked.call.header();
        break;
    }
  }

  void end_session() {
    if (program_.flag()) {
      session_->close({rpc::StatusCode::kUnavailable, "closing"});
    } else {
      session_->on_connection_lost("fuzz");
      lost_ = true;  // the owner delivers nothing after this
    }
  }

  // With no live call paused, nothing may hold back credit.
  void check_credit() const {
    if (lost_) {
      return;  // a lost connection's credit no longer matters
    }
    for (const auto& tracked : calls_) {
      if (tracked->paused && tracked->done == 0) {
        return;
      }
    }
    for (const auto& [id, book] : transport_.streams) {
      if (book.consumed != book.delivered) {
        std::abort();  // received bytes whose credit is never returned
      }
    }
  }

  Program& program_;
  FuzzTransport transport_;
  rpc::Registry registry_;
  std::unique_ptr<rpc::Session> session_;
  std::deque<std::shared_ptr<Tracked>> calls_;
  rpc::StreamId next_peer_ = 0;
  Timestamp now_ = 1000 * connswap::kSecond;
  bool lost_ = false;
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);  // invalid UTF-8 in the echo's text is expected
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Program program(ByteSpan(data, size));
  Driver(program).run();
  return 0;
}
