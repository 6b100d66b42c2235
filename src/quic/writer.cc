// Outbound: CONNECTION_CLOSE, round-robin stream scheduling and GSO batches.

#include <algorithm>
#include <array>
#include <cstring>

#include "base/log.h"
#include "quic/conn_impl.h"

namespace connswap::quic {
namespace {

using Impl = Connection::Impl;

constexpr std::size_t kMaxVecs = 16;

bool same_path(const ngtcp2_path& a, const ngtcp2_path& b) {
  return ngtcp2_path_eq(&a, &b) != 0 && a.user_data == b.user_data;
}

Datagrams single(const Path& path, std::size_t n) {
  return Datagrams{path, n, n};
}

}  // namespace

Result<Datagrams> Impl::write(MutableByteSpan out, Timestamp now) {
  if (conn == nullptr) {
    return Datagrams{path, 0, 0};
  }
  if (state == ConnState::kClosing || state == ConnState::kDraining) {
    return write_close(out, now);
  }
  if (state == ConnState::kClosed) {
    return Datagrams{path, 0, 0};
  }
  std::size_t max_udp = ngtcp2_conn_get_max_tx_udp_payload_size(conn);
  if (out.size() < max_udp) {
    return make_error(Errc::kInvalidArgument, "write buffer smaller than one datagram");
  }
  if (!stash.empty()) {
    std::size_t n = stash.size();
    std::memcpy(out.data(), stash.data(), n);
    stash.clear();
    return single(stash_path, n);
  }
  auto r = ping_pending ? write_ping(out, now) : write_batch(out, now);
  if (!r) {
    return r;
  }
  if (r->bytes == 0 && state == ConnState::kClosing) {
    return write_close(out, now);  // the write failed fatally: send CONNECTION_CLOSE now
  }
  return r;
}

// ngtcp2 0.12 has no call that queues a PING; its keep-alive writes one into any packet once
// the connection was quiet for the keep-alive timeout. A 1 ns timeout for this one write
// makes that packet now (STREAM data, if any is due, elicits the ACK instead); the
// configured keep-alive is restored after it.
Result<Datagrams> Impl::write_ping(MutableByteSpan out, Timestamp now) {
  ngtcp2_conn_set_keep_alive_timeout(conn, 1);
  auto r = write_batch(out, now);
  ngtcp2_conn_set_keep_alive_timeout(conn, settings.keepalive);
  if (r && r->bytes > 0) {
    ping_pending = false;
  }
  return r;
}

Result<Datagrams> Impl::write_close(MutableByteSpan out, Timestamp now) {
  if (close_resend && !close_packet.empty() && out.size() >= close_packet.size()) {
    close_resend = false;
    std::memcpy(out.data(), close_packet.data(), close_packet.size());
    return single(close_path, close_packet.size());
  }
  if (!close_pending) {
    return Datagrams{path, 0, 0};
  }
  close_pending = false;
  ngtcp2_path_storage ps;
  ngtcp2_path_storage_zero(&ps);
  std::size_t max_udp = std::min(out.size(), ngtcp2_conn_get_max_tx_udp_payload_size(conn));
  ngtcp2_ssize n =
      ngtcp2_conn_write_connection_close(conn, &ps.path, nullptr, out.data(), max_udp, &ccerr, now);
  if (n <= 0) {
    // Nothing to close on the wire (e.g. no packet was ever sent): we are done.
    state = ConnState::kClosed;
    return Datagrams{path, 0, 0};
  }
  auto len = static_cast<std::size_t>(n);
  close_packet.assign(out.data(), out.data() + len);
  close_path = from_ngtcp2(ps.path);
  close_deadline = now + 3 * ngtcp2_conn_get_pto(conn);
  return single(close_path, len);
}

// One packet, possibly carrying frames of several streams (NGTCP2_ERR_WRITE_MORE).
ngtcp2_ssize Impl::write_packet(MutableByteSpan dest, ngtcp2_path* out_path, Timestamp now) {
  for (;;) {
    StreamId sid = -1;
    detail::Stream* s = streams.front(&sid);
    if (s != nullptr && s->send.unsent() > 0 && ngtcp2_conn_get_max_data_left(conn) == 0) {
      s = nullptr;  // connection flow control: only control frames (and FIN-only) go out
      sid = -1;
    }
    std::array<ngtcp2_vec, kMaxVecs> vecs{};
    std::size_t nvec = 0;
    uint32_t flags = NGTCP2_WRITE_STREAM_FLAG_MORE;
    bool fin = false;
    if (s != nullptr) {
      nvec = s->send.unsent_vecs(vecs);
      // FIN goes with the last byte; only when every unsent byte is in the vectors.
      std::uint64_t in_vecs = 0;
      for (std::size_t i = 0; i < nvec; ++i) {
        in_vecs += vecs[i].len;
      }
      fin = s->fin_queued && in_vecs == s->send.unsent();
      if (fin) {
        flags |= NGTCP2_WRITE_STREAM_FLAG_FIN;
      }
    }
    ngtcp2_ssize ndatalen = -1;
    ngtcp2_ssize nw = ngtcp2_conn_writev_stream(conn,
                                                out_path,
                                                nullptr,
                                                dest.data(),
                                                dest.size(),
                                                &ndatalen,
                                                flags,
                                                sid,
                                                vecs.data(),
                                                nvec,
                                                now);
    if (s != nullptr && ndatalen >= 0) {
      s->send.mark_sent(static_cast<std::size_t>(ndatalen));
      if (fin && s->send.unsent() == 0) {
        s->fin_sent = true;
      }
    }
    if (nw == NGTCP2_ERR_STREAM_DATA_BLOCKED && s != nullptr) {
      s->blocked = true;  // extend_max_stream_data re-queues it
      streams.rotate();
      continue;
    }
    if (nw == NGTCP2_ERR_STREAM_SHUT_WR && s != nullptr) {
      // We never schedule streams we reset ourselves, so the peer sent STOP_SENDING and
      // ngtcp2 answered with RESET_STREAM. 0.12.1 has no callback carrying its error code.
      s->write_shut = true;
      events.emplace_back(StopSending{sid, kAppNoError});
      streams.rotate();
      continue;
    }
    if (s != nullptr && ndatalen >= 0) {
      streams.rotate();  // round robin: the next frame comes from the next stream
    }
    if (nw == NGTCP2_ERR_WRITE_MORE) {
      continue;
    }
    return nw;
  }
}

Result<Datagrams> Impl::write_batch(MutableByteSpan out, Timestamp now) {
  std::size_t max_udp = ngtcp2_conn_get_max_tx_udp_payload_size(conn);
  std::size_t limit = std::min(out.size(), std::max(ngtcp2_conn_get_send_quantum(conn), max_udp));
  ngtcp2_path_storage first;
  ngtcp2_path_storage_zero(&first);
  std::size_t total = 0;
  std::size_t segment = 0;
  while (total + max_udp <= limit) {
    ngtcp2_path_storage ps;
    ngtcp2_path_storage_zero(&ps);
    ngtcp2_ssize nw = write_packet(out.subspan(total, max_udp), &ps.path, now);
    if (nw < 0) {
      ngtcp2_connection_close_error_set_transport_error_liberr(
          &ccerr, static_cast<int>(nw), nullptr, 0);
      start_closing(CloseKind::kProtocolError,
                    ngtcp2_err_infer_quic_transport_error_code(static_cast<int>(nw)),
                    std::string("write failed: ") + ngtcp2_strerror(static_cast<int>(nw)));
      break;
    }
    if (nw == 0) {
      break;  // congestion control, pacing or nothing to send
    }
    auto n = static_cast<std::size_t>(nw);
    if (total == 0) {
      ngtcp2_path_copy(&first.path, &ps.path);
      segment = n;
      total = n;
      continue;
    }
    if (!same_path(first.path, ps.path) || n > segment) {
      // GSO needs one path and equal sizes (the last may be shorter): keep it for next time.
      stash.assign(out.data() + total, out.data() + total + n);
      stash_path = from_ngtcp2(ps.path);
      break;
    }
    total += n;
    if (n < segment) {
      break;
    }
  }
  if (total > 0 || !stash.empty()) {
    ngtcp2_conn_stat cs;
    ngtcp2_conn_get_conn_stat(conn, &cs);
    // Notes §7.1: 0.12.1 paces with initial_rtt until the first RTT sample, which holds the
    // Finished + first data back ~20 ms. Skip the pacing update until a sample exists.
    if (!(settings.pacing_workaround && cs.first_rtt_sample_ts == UINT64_MAX)) {
      ngtcp2_conn_update_pkt_tx_time(conn, now);
    }
  }
  refresh_path();
  if (total == 0) {
    return Datagrams{path, 0, 0};
  }
  return Datagrams{from_ngtcp2(first.path), total, segment};
}

}  // namespace connswap::quic
