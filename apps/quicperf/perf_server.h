#pragma once
// quicperf's server side: a ConnectionHandler serving echo / sink / source streams
// (protocol.h), usable in-process (tests) and by `connswap-quicperf server`.

#include <cstdint>
#include <string>
#include <unordered_map>

#include "base/address.h"
#include "net/conn.h"
#include "quic/types.h"

namespace connswap::quicperf {

class PerfServer : public net::ConnectionHandler {
 public:
  // net::ConnectionHandler
  void on_connection(net::Conn& conn) override;
  void on_event(net::Conn& conn, quic::Event& event) override;
  void on_closed(net::Conn& conn, const quic::ConnectionClosed& closed) override;

  std::uint64_t connections() const { return connections_; }
  std::uint64_t paths_validated() const { return paths_validated_; }  // ok == true only
  const Address& last_validated_remote() const { return last_validated_remote_; }

 private:
  struct Stream {
    Bytes header;                // until kHeaderBytes have arrived
    char command = 0;            // 0 until the header is complete
    std::uint64_t argument = 0;  // source: total bytes to send
    std::uint64_t offset = 0;    // source: bytes sent; sink: bytes counted
    std::size_t held = 0;        // echo: read but not yet consumed (backpressure)
    bool fin_sent = false;       // source: FIN queued
  };
  using Streams = std::unordered_map<quic::StreamId, Stream>;

  void on_data(net::Conn& conn, Stream& s, quic::StreamData& data);
  void echo(net::Conn& conn, Stream& s, quic::StreamId id, ByteSpan body, std::size_t n, bool fin);
  void pump_source(net::Conn& conn, Stream& s, quic::StreamId id);
  void on_writable(net::Conn& conn, Stream& s, quic::StreamId id);

  std::unordered_map<std::uint64_t, Streams> conns_;  // by Conn::key()
  std::uint64_t connections_ = 0;
  std::uint64_t paths_validated_ = 0;
  Address last_validated_remote_;
};

struct ServerArgs {
  std::string listen = "127.0.0.1:0";
  std::string cert_file;
  std::string key_file;
  std::string port_file;
  bool gso = true;
  bool gro = true;
  std::uint64_t idle_timeout_ms = 30'000;
  std::string qlog_dir;
};

// Runs the server until SIGINT/SIGTERM. Returns the process exit code; prints one line
// to stderr on a configuration or bind error.
int run_server(const ServerArgs& args);

}  // namespace connswap::quicperf
