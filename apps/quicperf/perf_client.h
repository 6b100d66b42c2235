#pragma once
// quicperf's client side: drives one measurement over a net::ClientEndpoint and reports
// throughput or latency. Usable in-process (tests) and by `connswap-quicperf client`.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "net/client.h"
#include "net/conn.h"
#include "protocol.h"

namespace connswap::quicperf {

enum class Mode { kDownload, kUpload, kRtt, kEcho, kStreams };
std::optional<Mode> parse_mode(std::string_view text);
std::string_view to_string(Mode mode);

struct PerfConfig {
  Mode mode = Mode::kDownload;
  std::uint64_t bytes = 64 << 20;        // download / upload / echo payload
  std::uint64_t count = 10'000;          // rtt: sequential echoes
  std::size_t size = 64;                 // rtt: message size
  std::uint64_t streams = 100;           // streams: concurrent 1 KiB echo streams
  std::uint64_t rebind_after_bytes = 0;  // > 0: migrate to a new local port after this much
};

struct PerfResult {
  bool ok = false;
  std::string error;                             // why !ok
  std::optional<quic::ConnectionClosed> closed;  // how the connection ended, if it did
  double seconds = 0;                            // from HandshakeCompleted to the last byte
  std::uint64_t bytes = 0;                       // payload bytes moved (received for download)
  std::uint64_t count = 0;                       // rtt messages / streams completed
  std::vector<double> latencies_us;              // rtt, sorted
  bool checksum_ok = false;                      // echo
  bool migrated = false;
};

class PerfClient : public net::ConnectionHandler {
 public:
  explicit PerfClient(const PerfConfig& config) : config_(config) {}
  // Needed for --rebind-after-bytes (migrate) only.
  void attach(net::ClientEndpoint& endpoint) { endpoint_ = &endpoint; }
  bool done() const { return done_; }
  const PerfResult& result() const { return result_; }

  // net::ConnectionHandler
  void on_event(net::Conn& conn, quic::Event& event) override;
  void on_closed(net::Conn& conn, const quic::ConnectionClosed& closed) override;

 private:
  struct Stream {
    std::uint64_t sent = 0;      // payload bytes queued
    std::uint64_t received = 0;  // payload bytes received
    Bytes reply;                 // upload: the server's count
    Checksum rx;
  };

  void start(net::Conn& conn);
  std::optional<quic::StreamId> open(net::Conn& conn, Header header, ByteSpan first, bool fin);
  void pump(net::Conn& conn, quic::StreamId id);
  void on_data(net::Conn& conn, quic::StreamData& data);
  void on_rtt_data(net::Conn& conn, quic::StreamId id, std::size_t n);
  void on_stream_done(net::Conn& conn, quic::StreamId id, Stream& s);
  void launch_streams(net::Conn& conn);
  void maybe_rebind(std::uint64_t more);
  void finish(net::Conn& conn);
  void fail(std::string error);

  PerfConfig config_;
  net::ClientEndpoint* endpoint_ = nullptr;
  std::unordered_map<quic::StreamId, Stream> streams_;
  Checksum tx_;
  Timestamp start_ = 0;
  Timestamp rtt_sent_at_ = 0;
  std::uint64_t launched_ = 0;
  std::uint64_t moved_ = 0;  // bytes sent + received, for rebind
  bool done_ = false;
  PerfResult result_;
};

// One line: human readable, or JSON (`{"mode":"download","bytes":...}`).
std::string format_result(
    Mode mode, const PerfConfig& config, const PerfResult& result, bool json, bool gso, bool gro);

struct ClientArgs {
  std::string connect;
  std::string ca_file;
  std::string server_name = "localhost";
  PerfConfig perf;
  bool gso = true;
  bool gro = true;
  std::uint64_t idle_timeout_ms = 30'000;
  bool json = false;
};

// Connects, runs the measurement, prints the result line. Returns the exit code.
int run_client(const ClientArgs& args);

}  // namespace connswap::quicperf
