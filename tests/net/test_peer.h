#pragma once
// Shared helpers for tests/net: TLS contexts from the test PKI, and a scriptable client
// handler that streams data, counts what comes back and records how the connection closed.

#include <optional>

#include <gtest/gtest.h>

#include "net/client.h"
#include "net/conn.h"
#include "quic/connection.h"
#include "quic/tls.h"
#include "support/test_pki.h"

namespace connswap::net::testing {

inline std::shared_ptr<const quic::TlsContext> server_tls(const connswap::testing::TestPki& pki) {
  quic::ServerTlsOptions options;
  options.cert_file = pki.server_cert.string();
  options.key_file = pki.server_key.string();
  auto tls = quic::TlsContext::make_server(options);
  EXPECT_TRUE(tls) << (tls ? "" : tls.error().message());
  return tls ? *tls : nullptr;
}

inline std::shared_ptr<const quic::TlsContext> client_tls(const connswap::testing::TestPki& pki) {
  quic::ClientTlsOptions options;
  options.ca_file = pki.ca_cert.string();
  auto tls = quic::TlsContext::make_client(options);
  EXPECT_TRUE(tls) << (tls ? "" : tls.error().message());
  return tls ? *tls : nullptr;
}

// Opens one stream with `header` (a quicperf header) and, while `keep_sending`, keeps up to
// `window` bytes of payload unacknowledged on it. Counts received bytes.
class StreamingClient : public ConnectionHandler {
 public:
  explicit StreamingClient(Bytes header, bool keep_sending)
      : header_(std::move(header)), keep_sending_(keep_sending) {}

  void on_event(Conn& conn, quic::Event& event) override {
    if (std::holds_alternative<quic::HandshakeCompleted>(event)) {
      handshake_ = true;
      auto id = conn.open_stream();
      ASSERT_TRUE(id);
      stream_ = *id;
      ASSERT_TRUE(conn.send(*stream_, header_, false));
      pump(conn);
    } else if (auto* data = std::get_if<quic::StreamData>(&event)) {
      received_ += data->data.size();
      conn.consume(data->id, data->data.size());
    } else if (std::holds_alternative<quic::StreamWritable>(event)) {
      pump(conn);
    }
  }
  void on_closed(Conn&, const quic::ConnectionClosed& closed) override { closed_ = closed; }

  // Sends `bytes` more payload bytes now (used while keep_sending is false).
  void send_now(Conn& conn, std::size_t bytes) {
    ASSERT_TRUE(stream_);
    ASSERT_TRUE(conn.send(*stream_, Bytes(bytes, 0x33), false));
  }

  bool handshake() const { return handshake_; }
  std::uint64_t received() const { return received_; }
  const std::optional<quic::ConnectionClosed>& closed() const { return closed_; }

 private:
  void pump(Conn& conn) {
    while (keep_sending_ && stream_ && !closed_ && conn.send_buffered(*stream_) < (1 << 20)) {
      if (!conn.send(*stream_, Bytes(64 << 10, 0x11), false)) {
        return;
      }
    }
  }

  Bytes header_;
  bool keep_sending_;
  bool handshake_ = false;
  std::optional<quic::StreamId> stream_;
  std::uint64_t received_ = 0;
  std::optional<quic::ConnectionClosed> closed_;
};

}  // namespace connswap::net::testing
