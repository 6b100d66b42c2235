#include "net/conn.h"

#include "net/endpoint.h"

namespace connswap::net {

Conn::Conn(Endpoint& endpoint,
           std::uint64_t key,
           std::unique_ptr<quic::Connection> quic,
           ConnectionHandler* handler)
    : endpoint_(endpoint),
      key_(key),
      quic_(std::move(quic)),
      default_handler_(handler),
      handler_(handler) {}

Conn::~Conn() = default;

Result<quic::StreamId> Conn::open_stream() {
  auto r = quic_->open_stream();
  if (r) {
    mark_dirty();
  }
  return r;
}

Result<void> Conn::send(quic::StreamId id, Bytes data, bool fin) {
  mark_dirty();
  return quic_->send(id, std::move(data), fin);
}

Result<void> Conn::send(quic::StreamId id, ByteSpan data, bool fin) {
  mark_dirty();
  return quic_->send(id, data, fin);
}

void Conn::consume(quic::StreamId id, std::size_t bytes) {
  quic_->consume(id, bytes);
  mark_dirty();  // credit updates (MAX_STREAM_DATA) go out with the next flush
}

void Conn::reset_stream(quic::StreamId id, std::uint64_t app_error) {
  quic_->reset_stream(id, app_error);
  mark_dirty();
}

void Conn::stop_sending(quic::StreamId id, std::uint64_t app_error) {
  quic_->stop_sending(id, app_error);
  mark_dirty();
}

void Conn::close(std::uint64_t app_error, std::string reason) {
  quic_->close(app_error, std::move(reason));
  mark_dirty();
}

void Conn::set_handler(ConnectionHandler* handler) {
  handler_ = handler != nullptr ? handler : default_handler_;
}

void Conn::mark_dirty() {
  if (!dirty_ && !retired_) {
    endpoint_.mark_dirty(*this);
  }
}

}  // namespace connswap::net
