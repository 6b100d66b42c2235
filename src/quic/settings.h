#pragma once
// Transport knobs for one connection. Defaults suit loopback and LAN clusters.

#include <cstddef>
#include <cstdint>
#include <string>

#include "base/error.h"
#include "base/time.h"

namespace connswap::quic {

struct TransportSettings {
  Duration idle_timeout = 30 * kSecond;  // close after this long with no packets
  Duration keepalive = 0;                // PING when idle this long; 0 = off
  Duration handshake_timeout = 10 * kSecond;
  std::uint64_t max_streams_bidi = 10'000;     // peer-opened bidi streams at once (topped up)
  std::uint64_t stream_window = 4 << 20;       // initial per-stream receive window
  std::uint64_t max_stream_window = 16 << 20;  // auto-tuning ceiling
  std::uint64_t conn_window = 16 << 20;        // initial connection receive window
  std::uint64_t max_conn_window = 64 << 20;
  std::size_t send_low_water = 256 << 10;  // StreamWritable fires when buffered drops below
  std::string qlog_dir;           // "" = off; else <dir>/<id>.<client|server>.sqlog per connection
  bool pacing_workaround = true;  // ngtcp2 0.12.1 first-RTT pacing bug (notes §7.1)
};

[[nodiscard]] Result<void> validate(const TransportSettings& settings);

}  // namespace connswap::quic
