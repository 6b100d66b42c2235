// DirectorService's client side: the QUIC front's sink and the book of open client streams.

#include "services/detail/client_streams.h"

#include <algorithm>
#include <string>
#include <utility>

namespace connswap::services::detail {
namespace {

// A connswap.v1.Director/Generate call as a ClientSink.
class QuicSink final : public ClientSink {
 public:
  explicit QuicSink(GenerateCall call) : call_(std::move(call)) {}
  ~QuicSink() override { clear(); }

  Result<void> write(const v1::GenerateItem& item) override { return call_.write(item); }

  void finish(const rpc::Status& status) override {
    if (finished_) {
      return;
    }
    finished_ = true;
    clear();
    (void)call_.finish(status);
  }

  void set_callbacks(SinkCallbacks callbacks) override {
    call_.on_writable(std::move(callbacks.on_writable));
    if (!callbacks.on_gone) {
      call_.on_done(nullptr);
      return;
    }
    call_.on_done([gone = std::move(callbacks.on_gone)](const rpc::Status& status) {
      gone(status.cause == rpc::EndCause::kConnectionLost ? ClientGone::kConnectionLost
                                                          : ClientGone::kCancelled);
    });
  }

  std::string peer() const override { return call_.raw().peer().address; }

  std::size_t buffered_bytes() const override { return call_.raw().queued_bytes(); }

 private:
  void clear() {
    call_.on_done(nullptr);
    call_.on_writable(nullptr);
  }

  GenerateCall call_;
  bool finished_ = false;
};

}  // namespace

std::unique_ptr<ClientSink> make_quic_sink(GenerateCall call) {
  return std::make_unique<QuicSink>(std::move(call));
}

ClientStream* ClientStreams::find(director::StreamKey key) {
  auto it = streams_.find(key);
  return it == streams_.end() ? nullptr : &it->second;
}

const ClientStream* ClientStreams::find(director::StreamKey key) const {
  auto it = streams_.find(key);
  return it == streams_.end() ? nullptr : &it->second;
}

// "<stream_id> <connection_id>": the decimal id and a space first, so no two pairs map to
// one string whatever the connection id holds.
std::string ClientStreams::index_key(std::string_view connection_id, std::uint64_t stream_id) {
  std::string k = std::to_string(stream_id);
  k.push_back(' ');
  k.append(connection_id);
  return k;
}

std::optional<director::StreamKey> ClientStreams::key_of(std::string_view connection_id,
                                                         std::uint64_t stream_id) const {
  auto it = index_.find(index_key(connection_id, stream_id));
  if (it == index_.end()) {
    return std::nullopt;
  }
  return it->second;
}

ClientStream& ClientStreams::add(director::StreamKey key, ClientStream stream) {
  ClientStream& c = streams_[key];
  c = std::move(stream);
  index_[index_key(c.connection_id, c.stream_id)] = key;
  return c;
}

// Forgets `key`'s index entry unless a newer stream with the same ids took it over.
void ClientStreams::unindex(director::StreamKey key, const ClientStream& c) {
  auto it = index_.find(index_key(c.connection_id, c.stream_id));
  if (it != index_.end() && it->second == key) {
    index_.erase(it);
  }
}

void ClientStreams::push(ClientStream& c, v1::GenerateItem item) {
  c.outbox_bytes += item.ByteSizeLong();
  c.outbox.push_back(std::move(item));
  max_outbox_ = std::max<std::uint64_t>(max_outbox_, c.outbox.size());
  max_outbox_bytes_ = std::max<std::uint64_t>(max_outbox_bytes_, c.outbox_bytes);
}

Flow ClientStreams::send(director::StreamKey key, v1::GenerateItem item) {
  ClientStream* c = find(key);
  if (c == nullptr) {
    return Flow::kUnchanged;
  }
  push(*c, std::move(item));
  return flush(key);
}

Flow ClientStreams::send_token(director::StreamKey key,
                               ClientStream& c,
                               const v1::GenerateItem& item) {
  if (c.outbox.empty()) {
    Result<void> sent = c.sink->write(item);
    if (sent || sent.error().code != Errc::kFlowControl) {
      return Flow::kUnchanged;  // sent, or the client is gone (its on_gone cancels the stream)
    }
  }
  push(c, item);
  return flush(key);
}

// Bound: per stream, what the sink buffers (the rpc send queue's high-water mark for QUIC)
// plus the few items already in flight when the worker calls were paused (max_outbox).
Flow ClientStreams::flush(director::StreamKey key) {
  auto it = streams_.find(key);
  if (it == streams_.end()) {
    return Flow::kUnchanged;
  }
  ClientStream& c = it->second;
  while (!c.outbox.empty()) {
    Result<void> sent = c.sink->write(c.outbox.front());
    if (!sent && sent.error().code == Errc::kFlowControl) {
      return Flow::kBlocked;
    }
    c.outbox_bytes -= std::min(c.outbox_bytes, c.outbox.front().ByteSizeLong());
    c.outbox.pop_front();  // sent, or the client is gone (its on_gone cancels the stream)
  }
  if (!c.finish) {
    return Flow::kFlowing;
  }
  std::unique_ptr<ClientSink> sink = std::move(c.sink);
  const rpc::Status status = *c.finish;
  unindex(it->first, c);
  streams_.erase(it);
  sink->finish(status);
  return Flow::kFinished;
}

void ClientStreams::finish_all(const rpc::Status& status) {
  auto streams = std::move(streams_);
  streams_.clear();
  index_.clear();
  for (auto& [key, c] : streams) {
    c.sink->set_callbacks({});
    while (!c.outbox.empty() && c.sink->write(c.outbox.front())) {
      c.outbox.pop_front();
    }
    c.sink->finish(status);
  }
}

void ClientStreams::abort(director::StreamKey key, const rpc::Status& status) {
  auto it = streams_.find(key);
  if (it == streams_.end()) {
    return;
  }
  ClientStream c = std::move(it->second);
  unindex(key, c);
  streams_.erase(it);
  c.sink->set_callbacks({});
  c.sink->finish(status);
}

std::uint64_t ClientStreams::blocked() const {
  return static_cast<std::uint64_t>(std::count_if(
      streams_.begin(), streams_.end(), [](const auto& kv) { return kv.second.blocked; }));
}

}  // namespace connswap::services::detail
