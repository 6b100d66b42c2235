#include "perf_server.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <variant>

#include "base/log.h"
#include "net/loop.h"
#include "net/server.h"
#include "protocol.h"
#include "quic/packet.h"
#include "quic/tls.h"

namespace connswap::quicperf {
namespace {

constexpr std::size_t kHighWater = 4 << 20;  // stop producing above this much unacked data
constexpr std::size_t kChunk = 256 << 10;

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

}  // namespace

void PerfServer::on_connection(net::Conn& conn) {
  ++connections_;
  conns_[conn.key()];
}

void PerfServer::on_closed(net::Conn& conn, const quic::ConnectionClosed& /*closed*/) {
  conns_.erase(conn.key());
}

void PerfServer::on_event(net::Conn& conn, quic::Event& event) {
  Streams& streams = conns_[conn.key()];
  std::visit(Overloaded{
                 [&](quic::StreamData& d) { on_data(conn, streams[d.id], d); },
                 [&](quic::StreamWritable& w) {
                   if (auto it = streams.find(w.id); it != streams.end()) {
                     on_writable(conn, it->second, w.id);
                   }
                 },
                 [&](quic::StopSending& s) {
                   conn.reset_stream(s.id, quic::kAppCancelled);
                   streams.erase(s.id);
                 },
                 [&](quic::StreamReset& r) { streams.erase(r.id); },
                 [&](quic::StreamClosed& c) { streams.erase(c.id); },
                 [&](quic::PathValidated& p) {
                   if (p.ok) {
                     ++paths_validated_;
                     last_validated_remote_ = p.path.remote;
                   }
                 },
                 [](auto&) {},
             },
             event);
}

void PerfServer::on_data(net::Conn& conn, Stream& s, quic::StreamData& data) {
  const std::size_t n = data.data.size();
  ByteSpan body(data.data);
  if (s.command == 0) {
    const std::size_t take = std::min(kHeaderBytes - s.header.size(), body.size());
    s.header.insert(s.header.end(), body.begin(), body.begin() + static_cast<std::ptrdiff_t>(take));
    body = body.subspan(take);
    if (s.header.size() < kHeaderBytes) {
      conn.consume(data.id, n);
      if (data.fin) {
        conn.reset_stream(data.id, quic::kAppCancelled);  // truncated header
      }
      return;
    }
    auto header = decode(s.header);
    if (!header) {
      conn.consume(data.id, n);
      conn.reset_stream(data.id, quic::kAppCancelled);
      conn.stop_sending(data.id, quic::kAppCancelled);
      return;
    }
    s.command = static_cast<char>(header->command);
    s.argument = header->argument;
  }
  switch (static_cast<Command>(s.command)) {
    case Command::kEcho:
      echo(conn, s, data.id, body, n, data.fin);
      return;
    case Command::kSink:
      s.offset += body.size();
      conn.consume(data.id, n);
      if (data.fin) {
        auto count = encode_u64(s.offset);
        (void)conn.send(data.id, ByteSpan(count), true);
      }
      return;
    case Command::kSource:
      conn.consume(data.id, n);
      pump_source(conn, s, data.id);
      return;
  }
}

void PerfServer::echo(
    net::Conn& conn, Stream& s, quic::StreamId id, ByteSpan body, std::size_t n, bool fin) {
  if (!body.empty() || fin) {
    (void)conn.send(id, body, fin);
  }
  // Grant the peer more credit only while our echo backlog is small: the client can never
  // make us buffer more than its window plus kHighWater.
  s.held += n;
  if (conn.send_buffered(id) < kHighWater) {
    conn.consume(id, s.held);
    s.held = 0;
  }
}

void PerfServer::pump_source(net::Conn& conn, Stream& s, quic::StreamId id) {
  while (!s.fin_sent && conn.send_buffered(id) < kHighWater) {
    ByteSpan chunk = pattern_at(s.offset, std::min<std::uint64_t>(kChunk, s.argument - s.offset));
    s.offset += chunk.size();
    s.fin_sent = s.offset == s.argument;
    if (!conn.send(id, chunk, s.fin_sent)) {
      return;
    }
  }
}

void PerfServer::on_writable(net::Conn& conn, Stream& s, quic::StreamId id) {
  if (s.command == static_cast<char>(Command::kSource)) {
    pump_source(conn, s, id);
  } else if (s.command == static_cast<char>(Command::kEcho) && s.held > 0) {
    conn.consume(id, s.held);
    s.held = 0;
  }
}

namespace {

Result<Bytes> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return make_error(Errc::kIo, "cannot read " + path);
  }
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

Result<void> write_port_file(const std::string& path, std::uint16_t port) {
  // Write a temp file and rename it: a reader never sees a partial file.
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << port << "\n";
    if (!out) {
      return make_error(Errc::kIo, "cannot write " + tmp);
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    return make_error(Errc::kIo, "rename " + tmp + ": " + ec.message());
  }
  return {};
}

int fail(const std::string& what) {
  std::fprintf(stderr, "connswap-quicperf: error: %s\n", what.c_str());
  return 1;
}

}  // namespace

int run_server(const ServerArgs& args) {
  auto listen = Address::parse(args.listen);
  if (!listen) {
    return fail(listen.error().message());
  }
  auto key = read_file(args.key_file);
  if (!key) {
    return fail(key.error().message());
  }
  quic::ServerTlsOptions tls_options;
  tls_options.cert_file = args.cert_file;
  tls_options.key_file = args.key_file;
  auto tls = quic::TlsContext::make_server(tls_options);
  if (!tls) {
    return fail(tls.error().message());
  }
  net::ServerOptions options;
  options.listen = *listen;
  options.quic.tls = *tls;
  options.quic.static_secret = quic::derive_static_secret(*key);
  options.quic.transport.idle_timeout = args.idle_timeout_ms * kMillisecond;
  options.quic.transport.qlog_dir = args.qlog_dir;
  options.socket.gso = args.gso;
  options.socket.gro = args.gro;

  net::Loop loop;
  PerfServer handler;
  auto server = net::ServerEndpoint::listen(loop, options, handler);
  if (!server) {
    return fail(server.error().message());
  }
  if (!args.port_file.empty()) {
    if (auto r = write_port_file(args.port_file, (*server)->local_address().port()); !r) {
      return fail(r.error().message());
    }
  }
  loop.on_stop_signal([&](int signo) {
    log::get("quicperf").info("signal {}: stopping", signo);
    (*server)->stop();
    loop.stop();
  });
  log::get("quicperf").info("listening on {}", (*server)->local_address().to_string());
  loop.run();
  return 0;
}

}  // namespace connswap::quicperf
