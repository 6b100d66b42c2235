#pragma once
// Private to DirectorService: the open client streams, each behind a ClientSink (any
// front), with the items its sink did not take yet and the trailer to send after them.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include <connswap/v1/director.pb.h>

#include "base/fifo.h"
#include "base/generate.h"
#include "director/actions.h"
#include "rpc/server.h"
#include "rpc/status.h"
#include "services/client_sink.h"

namespace connswap::services::detail {

using GenerateCall = rpc::ServerCall<v1::GenerateRequest, v1::GenerateItem>;

// The QUIC front's sink: one connswap.v1.Director/Generate call.
std::unique_ptr<ClientSink> make_quic_sink(GenerateCall call);

// One client stream.
struct ClientStream {
  std::unique_ptr<ClientSink> sink;
  Fifo<v1::GenerateItem> outbox;      // items the sink did not take yet
  std::size_t outbox_bytes = 0;       // their protobuf bytes
  std::optional<rpc::Status> finish;  // trailer to send once the outbox is empty
  bool blocked = false;               // the sink is full; worker calls are paused
  Timestamp blocked_since = 0;        // when it last became blocked (StreamLimits)
  bool budget_paused = false;         // worker calls paused: the global buffer budget is spent
  Timestamp budget_took_at = 0;       // ...and when its client last took bytes since
  std::string connection_id;
  std::uint64_t stream_id = 0;
  GenerateRequest request;            // as first asked (a resumed stream: the snapshot's)
  std::uint32_t base_migrations = 0;  // migrations before this call (resumed streams)
  std::uint32_t since_ticket = 0;     // tokens sent since the last ticket
  // Tokens forwarded that the session book has not heard of yet, and when the last went:
  // counted here per token, folded into the book when it is read or the stream ends.
  std::uint64_t unbooked_tokens = 0;
  Timestamp last_token_at = 0;
  Timestamp ticket_at = 0;  // when the last ticket was sent
};

// What a write did to the stream.
enum class Flow : std::uint8_t {
  kUnchanged,  // written at once; nothing to tell the router
  kFlowing,    // the outbox is empty: the stream is not blocked
  kBlocked,    // the sink is full: items wait in the outbox
  kFinished,   // the trailer went out: the stream is forgotten
};

class ClientStreams {
 public:
  ClientStream* find(director::StreamKey key);
  const ClientStream* find(director::StreamKey key) const;
  // The key of the open stream (connection_id, stream_id), if any (the newest if a
  // resumed call replaced one still finishing). O(1): an index kept beside the streams.
  std::optional<director::StreamKey> key_of(std::string_view connection_id,
                                            std::uint64_t stream_id) const;
  ClientStream& add(director::StreamKey key, ClientStream stream);

  // Queues `item` behind what waits and writes what the sink takes.
  Flow send(director::StreamKey key, v1::GenerateItem item);
  // The per-token path: writes `item` at once when nothing waits, else queues a copy.
  Flow send_token(director::StreamKey key, ClientStream& c, const v1::GenerateItem& item);
  // Queues `item` at the back of `c`'s outbox without writing (counted in the peaks).
  void push(ClientStream& c, v1::GenerateItem item);
  // Writes waiting items until the sink is full; once all are out and `finish` is set,
  // finishes the sink and forgets the stream.
  Flow flush(director::StreamKey key);

  // Ends one stream now with `status`, dropping what waits in its outbox, and forgets it.
  void abort(director::StreamKey key, const rpc::Status& status);

  // Writes what each sink still takes, finishes every stream with `status`, forgets them.
  void finish_all(const rpc::Status& status);

  std::size_t size() const { return streams_.size(); }
  std::uint64_t blocked() const;
  std::uint64_t max_outbox() const { return max_outbox_; }
  std::uint64_t max_outbox_bytes() const { return max_outbox_bytes_; }
  const std::unordered_map<director::StreamKey, ClientStream>& all() const { return streams_; }
  std::unordered_map<director::StreamKey, ClientStream>& all() { return streams_; }

 private:
  static std::string index_key(std::string_view connection_id, std::uint64_t stream_id);
  void unindex(director::StreamKey key, const ClientStream& c);

  std::unordered_map<director::StreamKey, ClientStream> streams_;
  std::unordered_map<std::string, director::StreamKey> index_;  // index_key -> key
  std::uint64_t max_outbox_ = 0;        // most items ever queued for one stream
  std::uint64_t max_outbox_bytes_ = 0;  // most bytes ever queued for one stream
};

}  // namespace connswap::services::detail
