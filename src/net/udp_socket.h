#pragma once
// A non-blocking UDP socket driven by the Loop: GSO sends (UDP_SEGMENT), GRO receives
// (UDP_GRO), 4 MiB kernel buffers, optional connect() so ICMP port-unreachable surfaces as
// Errc::kPeerGone. Sends never block and never drop on EAGAIN: what the kernel refuses is
// queued and sent when the socket becomes writable.

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <optional>

#include "base/address.h"
#include "base/alive.h"
#include "base/bytes.h"
#include "base/error.h"
#include "net/loop.h"

namespace connswap::net {

struct SocketOptions {
  bool gso = true;             // send trains with UDP_SEGMENT when the kernel allows it
  bool gro = true;             // receive coalesced trains (UDP_GRO)
  int buffer_bytes = 4 << 20;  // SO_RCVBUF/SO_SNDBUF (with *BUFFORCE when permitted)
};

// One received datagram, or a GRO train of `bytes` split every `segment_size` bytes.
struct Received {
  std::size_t bytes = 0;
  std::size_t segment_size = 0;  // == bytes when not coalesced
  Address from;
};

class UdpSocket {
 public:
  // Binds `local` (port 0 picks a free port). Errors: kIo with the errno text.
  static Result<std::unique_ptr<UdpSocket>> open(Loop& loop,
                                                 const Address& local,
                                                 const SocketOptions& options);
  ~UdpSocket();
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  // Connects to `remote`: only its datagrams are received, and an ICMP unreachable makes the
  // next send/recv fail with kPeerGone. Updates local() to the chosen source address.
  Result<void> connect(const Address& remote);
  const Address& local() const { return local_; }
  const Address& remote() const { return remote_; }  // empty unless connected
  bool gso_enabled() const { return gso_; }
  bool gro_enabled() const { return gro_; }

  // Reads one datagram (or GRO train) into `buf` (>= 64 KiB for GRO). nullopt: nothing
  // queued (EAGAIN). Errors: kPeerGone (ICMP refused on a connected socket), kIo.
  Result<std::optional<Received>> recv(MutableByteSpan buf);

  // Sends `data` as datagrams of `segment_size` bytes (the last may be shorter) to `to`
  // (ignored when connected). Copies and queues what the kernel cannot take now. Errors:
  // kPeerGone (connected socket, peer refused); other send errors drop the packets (QUIC
  // treats them as loss) and are logged at debug.
  Result<void> send(const Address& to, ByteSpan data, std::size_t segment_size);
  // True while queued data waits for writability; callers should stop producing.
  bool blocked() const { return !pending_.empty(); }

  // True if a datagram is queued in the kernel, not yet read (FIONREAD): a peer that
  // answered while this loop was busy elsewhere.
  bool has_unread() const;

  // One-shot: calls `callback` once the socket is readable (or has an error queued). Drain
  // recv() until nullopt before waiting again (the reactor is edge-triggered).
  void wait_readable(std::function<void()> callback);
  // Called each time the send queue drains after blocked() was true.
  void set_on_writable(std::function<void()> callback) { on_writable_ = std::move(callback); }

  // Cancels waits and closes the descriptor. Pending sends are dropped. Idempotent.
  void close();

  struct Stats {
    std::uint64_t sendmsg_calls = 0;
    std::uint64_t datagrams_sent = 0;
    std::uint64_t recvmsg_calls = 0;
    std::uint64_t datagrams_received = 0;
    std::uint64_t send_blocked = 0;  // times EAGAIN queued data
  };
  const Stats& stats() const { return stats_; }

 private:
  struct Pending {
    Address to;
    Bytes data;
    std::size_t segment_size;
  };
  struct Impl;

  UdpSocket(Loop& loop, int fd);
  // Sends what the kernel accepts; returns bytes consumed. EAGAIN stops early.
  Result<std::size_t> send_now(const Address& to, ByteSpan data, std::size_t segment_size);
  Result<std::size_t> send_gso(const Address& to, ByteSpan data, std::size_t segment_size);
  Result<std::size_t> send_one(const Address& to, ByteSpan data);
  void wait_writable();
  void on_writable_ready();

  Loop& loop_;
  std::unique_ptr<Impl> impl_;  // asio socket wrapping the fd (readiness waits)
  int fd_ = -1;
  Address local_;
  Address remote_;
  bool gso_ = false;
  bool gro_ = false;
  bool write_wait_armed_ = false;
  bool refused_ = false;  // ECONNREFUSED seen while draining the queue; reported by send()
  std::deque<Pending> pending_;
  std::function<void()> on_writable_;
  Stats stats_;
  Alive alive_;
};

}  // namespace connswap::net
