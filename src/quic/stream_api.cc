// Connection's stream methods: opening, queueing data, flow credit, resets.

#include "quic/conn_impl.h"

namespace connswap::quic {

Result<StreamId> Connection::open_stream() {
  Impl& c = *impl_;
  if (c.state != ConnState::kOpen) {
    return make_error(Errc::kClosed, "connection closed");
  }
  StreamId id = -1;
  int rv = ngtcp2_conn_open_bidi_stream(c.conn, &id, nullptr);
  if (rv == NGTCP2_ERR_STREAM_ID_BLOCKED) {
    c.open_stream_failed = true;  // StreamsAvailable follows when the peer raises the limit
    return make_error(Errc::kResourceExhausted, "peer stream limit reached");
  }
  if (rv != 0) {
    return make_error(Errc::kInternal, std::string("open stream: ") + ngtcp2_strerror(rv));
  }
  c.streams.open(id);
  return id;
}

Result<void> Connection::send(StreamId id, Bytes data, bool fin) {
  Impl& c = *impl_;
  if (c.state != ConnState::kOpen) {
    return make_error(Errc::kClosed, "connection closed");
  }
  detail::Stream* s = c.streams.find(id);
  if (s == nullptr) {
    return make_error(Errc::kNotFound, "no such stream");
  }
  if (s->write_shut || s->fin_queued) {
    return make_error(Errc::kClosed, "stream write side is closed");
  }
  s->send.append(std::move(data));
  s->fin_queued = fin;
  c.note_buffered(id, *s);
  c.streams.mark_ready(id);
  return {};
}

Result<void> Connection::send(StreamId id, ByteSpan data, bool fin) {
  return send(id, Bytes(data.begin(), data.end()), fin);
}

std::size_t Connection::send_buffered(StreamId id) const {
  const detail::Stream* s = impl_->streams.find(id);
  return s == nullptr ? 0 : s->send.buffered();
}

void Connection::consume(StreamId id, std::size_t bytes) {
  Impl& c = *impl_;
  if (c.state != ConnState::kOpen || bytes == 0) {
    return;
  }
  // Fails harmlessly if the stream is already gone; the connection credit still counts.
  (void)ngtcp2_conn_extend_max_stream_offset(c.conn, id, bytes);
  ngtcp2_conn_extend_max_offset(c.conn, bytes);
}

void Connection::reset_stream(StreamId id, std::uint64_t app_error) {
  Impl& c = *impl_;
  if (c.state != ConnState::kOpen) {
    return;
  }
  if (detail::Stream* s = c.streams.find(id)) {
    s->write_shut = true;  // buffers stay until stream_close: ngtcp2 may still point at them
  }
  (void)ngtcp2_conn_shutdown_stream_write(c.conn, id, app_error);
}

void Connection::stop_sending(StreamId id, std::uint64_t app_error) {
  Impl& c = *impl_;
  if (c.state != ConnState::kOpen) {
    return;
  }
  (void)ngtcp2_conn_shutdown_stream_read(c.conn, id, app_error);
}

}  // namespace connswap::quic
