#pragma once
// The Generate request as plain data, shared by the director, worker and client role
// libraries. The RPC binding converts the protobuf message to and from this struct.

#include <cstdint>
#include <map>
#include <string>

namespace connswap {

// First sequence number of a fresh stream; sequence numbers are absolute within a stream.
inline constexpr std::uint64_t kFirstSeq = 1;

// A streaming generation request. A stream carries tokens start_seq..max_tokens (inclusive);
// max_tokens == 0 means unbounded (the stream runs until the client cancels it).
struct GenerateRequest {
  std::string prompt;
  std::uint32_t max_tokens = 0;
  std::uint64_t start_seq = kFirstSeq;          // resume point; a worker emits from here
  std::map<std::string, std::string> params{};  // model parameters, forwarded verbatim
  std::string model{};  // served only by workers announcing it; "" = any worker
};

// True when `seq` is past the last token of `req` (never true for unbounded requests).
inline bool past_end(const GenerateRequest& req, std::uint64_t seq) {
  return req.max_tokens != 0 && seq > req.max_tokens;
}

}  // namespace connswap
