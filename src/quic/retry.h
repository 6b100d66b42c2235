#pragma once
// Stateless address validation for the server endpoint (RFC 9000 §8.1.2): Retry packets,
// their tokens, and the Initial CONNECTION_CLOSE that refuses a connection without keeping
// any state. Sans-IO; the tokens are sealed with the endpoint's static secret.

#include <cstdint>

#include "base/address.h"
#include "base/bytes.h"
#include "base/error.h"
#include "base/time.h"

namespace connswap::quic {

// How long a Retry token stays valid (the client answers a Retry within one round trip).
inline constexpr Duration kRetryTokenLifetime = 10 * kSecond;

// What a server needs of a client Initial to answer it statelessly.
struct InitialHeader {
  std::uint32_t version = 0;
  Bytes dcid;   // the client's chosen destination CID (after a Retry: our Retry SCID)
  Bytes scid;   // the client's source CID
  Bytes token;  // empty, a Retry token of ours, or something else
};

// Reads a client Initial's header; kProtocol if it is not an acceptable client Initial.
Result<InitialHeader> decode_initial(ByteSpan datagram);

// True if `token` looks like one of our Retry tokens (its magic byte); anything else
// (regular tokens we never issue, garbage) is not one.
bool is_retry_token(ByteSpan token);

// Writes a Retry answering `initial` from `remote`: a fresh kServerCidLen SCID and a token
// binding the client's address, its original DCID and `now`. Returns the packet size.
Result<std::size_t> write_retry(MutableByteSpan out,
                                ByteSpan static_secret,
                                const InitialHeader& initial,
                                const Address& remote,
                                Timestamp now);

// Checks the Retry token of `initial` (sent from `remote`); returns the original DCID it
// carries. kProtocol if it is forged, expired, or was issued to another address or CID.
Result<Bytes> verify_retry_token(ByteSpan static_secret,
                                 const InitialHeader& initial,
                                 const Address& remote,
                                 Timestamp now);

// Writes an Initial CONNECTION_CLOSE refusing `initial` with the transport error
// CONNECTION_REFUSED (0x2) and `reason`, without creating a connection.
Result<std::size_t> write_refusal(MutableByteSpan out,
                                  const InitialHeader& initial,
                                  std::string_view reason);

}  // namespace connswap::quic
