#pragma once
// Protobuf messages <-> the role libraries' plain structs.

#include <optional>
#include <string>
#include <vector>

#include <connswap/v1/director.pb.h>
#include <connswap/v1/worker.pb.h>

#include "base/generate.h"
#include "client/stream_verifier.h"
#include "director/token_window.h"

namespace connswap::services {

// start_seq 0 becomes kFirstSeq (proto3 default).
GenerateRequest from_proto(const v1::GenerateRequest& request);
v1::GenerateRequest to_proto(const GenerateRequest& request);

// The request a director sends a worker for one attempt; `prefix` is the tokens before
// request.start_seq the stream keeps (all of them within the director's prefix bounds).
v1::WorkerGenerateRequest to_worker_request(const GenerateRequest& request,
                                            const std::vector<std::string>& prefix);
// The same request, serialized for the wire (what the director sends): the fields but the
// prefix by protobuf, then each prefix token appended as a `prefix` field straight from the
// window's buffer (concatenated fields are one message), so a migration's prefix costs no
// allocation per token. Parses to to_worker_request(request, prefix.tokens()).
std::string encode_worker_request(const GenerateRequest& request,
                                  const director::TokenWindow& prefix);
GenerateRequest from_proto(const v1::WorkerGenerateRequest& request);

// A worker's view of a WorkerGenerateRequest (same wire format): the prefix parsed straight
// into one vector of strings, no protobuf string per token (issue 18: a failover brings a
// worker 1,000 requests of 256 tokens at once). rpc::parse_message accepts it as a message.
struct WorkerRequest {
  v1::WorkerGenerateRequest fields;  // every field but prefix (left empty)
  std::vector<std::string> prefix;   // oldest first
  // Parses a WorkerGenerateRequest encoding; false where protobuf's parser would fail too
  // (bad varints or lengths, truncation, field number 0, a tag over 5 bytes, a prefix token
  // not UTF-8).
  // NOLINTNEXTLINE(readability-identifier-naming): protobuf's name, which rpc::parse_message calls
  bool ParseFromArray(const void* data, int size);
};

// A received GenerateItem for the StreamVerifier; nullopt if its oneof is empty or a
// ResumeTicket (which only the resuming client looks at).
std::optional<client::StreamItem> to_stream_item(const v1::GenerateItem& item);

}  // namespace connswap::services
