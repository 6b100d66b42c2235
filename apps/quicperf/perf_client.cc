#include "perf_client.h"

#include <algorithm>
#include <cstdio>
#include <variant>

#include "base/log.h"
#include "net/loop.h"
#include "quic/tls.h"

namespace connswap::quicperf {
namespace {

constexpr std::size_t kHighWater = 4 << 20;  // unacked bytes per stream before waiting
constexpr std::size_t kChunk = 256 << 10;
constexpr std::size_t kStreamBytes = 1024;  // streams mode payload per stream

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

}  // namespace

std::optional<Mode> parse_mode(std::string_view text) {
  if (text == "download") {
    return Mode::kDownload;
  }
  if (text == "upload") {
    return Mode::kUpload;
  }
  if (text == "rtt") {
    return Mode::kRtt;
  }
  if (text == "echo") {
    return Mode::kEcho;
  }
  if (text == "streams") {
    return Mode::kStreams;
  }
  return std::nullopt;
}

std::string_view to_string(Mode mode) {
  switch (mode) {
    case Mode::kDownload:
      return "download";
    case Mode::kUpload:
      return "upload";
    case Mode::kRtt:
      return "rtt";
    case Mode::kEcho:
      return "echo";
    case Mode::kStreams:
      return "streams";
  }
  return "?";
}

void PerfClient::on_event(net::Conn& conn, quic::Event& event) {
  if (done_) {
    return;
  }
  std::visit(Overloaded{
                 [&](quic::HandshakeCompleted&) { start(conn); },
                 [&](quic::StreamData& d) { on_data(conn, d); },
                 [&](quic::StreamWritable& w) { pump(conn, w.id); },
                 [&](quic::StreamsAvailable&) { launch_streams(conn); },
                 [&](quic::StreamReset& r) {
                   fail("stream " + std::to_string(r.id) + " reset by the server");
                 },
                 [](auto&) {},
             },
             event);
}

void PerfClient::on_closed(net::Conn& /*conn*/, const quic::ConnectionClosed& closed) {
  result_.closed = closed;
  if (!done_) {
    fail("connection closed (" + std::string(quic::to_string(closed.kind)) + "): " + closed.reason);
  }
}

void PerfClient::start(net::Conn& conn) {
  start_ = net::clock_now();
  switch (config_.mode) {
    case Mode::kDownload:
      open(conn, {Command::kSource, config_.bytes}, {}, true);
      return;
    case Mode::kUpload:
    case Mode::kEcho: {
      auto command = config_.mode == Mode::kUpload ? Command::kSink : Command::kEcho;
      if (auto id = open(conn, {command, 0}, {}, config_.bytes == 0)) {
        pump(conn, *id);
      }
      return;
    }
    case Mode::kRtt: {
      Bytes first(config_.size, 0x42);
      rtt_sent_at_ = net::clock_now();
      open(conn, {Command::kEcho, 0}, first, false);
      return;
    }
    case Mode::kStreams:
      launch_streams(conn);
      return;
  }
}

std::optional<quic::StreamId> PerfClient::open(net::Conn& conn,
                                               Header header,
                                               ByteSpan first,
                                               bool fin) {
  auto id = conn.open_stream();
  if (!id) {
    if (id.error().code != Errc::kResourceExhausted) {
      fail("open_stream: " + id.error().message());
    }
    return std::nullopt;
  }
  auto head = encode(header);
  Bytes bytes(head.begin(), head.end());
  bytes.insert(bytes.end(), first.begin(), first.end());
  streams_[*id].sent = first.size();
  if (auto r = conn.send(*id, std::move(bytes), fin); !r) {
    fail("send: " + r.error().message());
    return std::nullopt;
  }
  return *id;
}

void PerfClient::pump(net::Conn& conn, quic::StreamId id) {
  if (config_.mode != Mode::kUpload && config_.mode != Mode::kEcho) {
    return;
  }
  auto it = streams_.find(id);
  if (it == streams_.end()) {
    return;
  }
  Stream& s = it->second;
  while (s.sent < config_.bytes && conn.send_buffered(id) < kHighWater) {
    ByteSpan chunk = pattern_at(s.sent, std::min<std::uint64_t>(kChunk, config_.bytes - s.sent));
    tx_.update(chunk);
    s.sent += chunk.size();
    if (auto r = conn.send(id, chunk, s.sent == config_.bytes); !r) {
      fail("send: " + r.error().message());
      return;
    }
    maybe_rebind(chunk.size());
  }
}

void PerfClient::on_data(net::Conn& conn, quic::StreamData& data) {
  auto it = streams_.find(data.id);
  if (it == streams_.end()) {
    return;
  }
  Stream& s = it->second;
  const std::size_t n = data.data.size();
  conn.consume(data.id, n);
  maybe_rebind(n);
  if (config_.mode == Mode::kUpload) {
    s.reply.insert(s.reply.end(), data.data.begin(), data.data.end());
  } else {
    s.received += n;
    if (config_.mode == Mode::kEcho) {
      s.rx.update(data.data);
    }
  }
  if (config_.mode == Mode::kRtt) {
    on_rtt_data(conn, data.id, n);
  } else if (data.fin) {
    on_stream_done(conn, data.id, s);
  }
}

void PerfClient::on_rtt_data(net::Conn& conn, quic::StreamId id, std::size_t /*n*/) {
  Stream& s = streams_[id];
  while (!done_ && s.received >= config_.size * (result_.count + 1)) {
    const Timestamp now = net::clock_now();
    result_.latencies_us.push_back(static_cast<double>(now - rtt_sent_at_) / 1e3);
    ++result_.count;
    result_.bytes += config_.size;
    if (result_.count >= config_.count) {
      (void)conn.send(id, ByteSpan(), true);
      finish(conn);
      return;
    }
    Bytes next(config_.size, 0x42);
    rtt_sent_at_ = now;
    if (auto r = conn.send(id, std::move(next), false); !r) {
      fail("send: " + r.error().message());
    }
  }
}

void PerfClient::on_stream_done(net::Conn& conn, quic::StreamId id, Stream& s) {
  switch (config_.mode) {
    case Mode::kDownload:
      result_.bytes = s.received;
      return s.received == config_.bytes ? finish(conn) : fail("download: short stream");
    case Mode::kUpload:
      result_.bytes = s.sent;
      return decode_u64(s.reply) == config_.bytes ? finish(conn) : fail("upload: bad count");
    case Mode::kEcho:
      result_.bytes = s.received;
      result_.checksum_ok = s.received == config_.bytes && s.rx.value == tx_.value;
      return result_.checksum_ok ? finish(conn) : fail("echo: checksum mismatch");
    case Mode::kStreams:
      if (s.received != kStreamBytes) {
        return fail("streams: stream " + std::to_string(id) + " short");
      }
      streams_.erase(id);
      ++result_.count;
      result_.bytes += kStreamBytes;
      if (result_.count == config_.streams) {
        return finish(conn);
      }
      return launch_streams(conn);
    case Mode::kRtt:
      return;
  }
}

void PerfClient::launch_streams(net::Conn& conn) {
  if (config_.mode != Mode::kStreams) {
    return;
  }
  while (!done_ && launched_ < config_.streams) {
    auto payload = pattern_at(launched_ * kStreamBytes, kStreamBytes);
    if (!open(conn, {Command::kEcho, 0}, payload, true)) {
      return;  // stream limit: StreamsAvailable resumes
    }
    ++launched_;
  }
}

void PerfClient::maybe_rebind(std::uint64_t more) {
  moved_ += more;
  if (config_.rebind_after_bytes == 0 || result_.migrated || endpoint_ == nullptr ||
      moved_ < config_.rebind_after_bytes) {
    return;
  }
  result_.migrated = true;
  if (auto r = endpoint_->migrate(); !r) {
    fail("migrate: " + r.error().message());
  }
}

void PerfClient::finish(net::Conn& conn) {
  result_.seconds = static_cast<double>(net::clock_now() - start_) / 1e9;
  std::sort(result_.latencies_us.begin(), result_.latencies_us.end());
  result_.ok = true;
  done_ = true;
  conn.close(quic::kAppNoError, "done");
}

void PerfClient::fail(std::string error) {
  if (done_) {
    return;
  }
  result_.error = std::move(error);
  done_ = true;
}

}  // namespace connswap::quicperf
