#pragma once
// Stateless packet helpers for the server endpoint's dispatcher (sans-IO).

#include <cstdint>
#include <optional>

#include "base/bytes.h"
#include "base/error.h"

namespace connswap::quic {

inline constexpr std::size_t kServerCidLen = 18;  // every CID this server issues has this length

struct PacketHeaderInfo {
  Bytes dcid;
  bool long_header = false;
  std::uint32_t version = 0;
  bool supported_version = false;
};

// Reads the version and destination CID of any QUIC packet; error on garbage. Short headers
// are read with a kServerCidLen DCID. supported_version is false only when the packet asks
// for a Version Negotiation (long header, unknown version).
Result<PacketHeaderInfo> decode_header(ByteSpan datagram);

// True if `datagram` is a client Initial this server may answer by creating a connection.
bool accept_initial(ByteSpan datagram);

// Writes a stateless reset for a packet addressed to `dcid` (RFC 9000 §10.3); the token is
// derived from `static_secret` and `dcid`, as Connection does for issued CIDs. Returns 0
// when the triggering packet is too small to answer without amplification.
Result<std::size_t> write_stateless_reset(MutableByteSpan out,
                                          ByteSpan static_secret,
                                          ByteSpan dcid,
                                          std::size_t received_len);

// Writes a Version Negotiation packet answering an unsupported version. Returns 0 when the
// datagram must not be answered (RFC 9000 §14.1: smaller than 1200 bytes).
Result<std::size_t> write_version_negotiation(MutableByteSpan out, ByteSpan datagram);

// Derives a 32-byte ServerConfig::static_secret from long-lived key material (e.g. the bytes
// of the TLS key file) with HMAC-SHA-256 and a fixed label, so a restarted server with the
// same key issues the same stateless-reset tokens. Never fails.
Bytes derive_static_secret(ByteSpan key_material);

}  // namespace connswap::quic
