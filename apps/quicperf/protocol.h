#pragma once
// quicperf's per-stream protocol. The client opens a bidi stream and starts it with a 9-byte
// header: one command byte and a big-endian u64 argument.
//   'E' echo:   the server echoes every byte until FIN, then FINs.
//   'S' sink:   the server counts bytes until FIN, then replies with the count (u64 BE) + FIN.
//   'G' source: the server sends `argument` bytes of pattern() data, then FIN.

#include <array>
#include <cstdint>
#include <optional>

#include "base/bytes.h"

namespace connswap::quicperf {

inline constexpr std::size_t kHeaderBytes = 9;
enum class Command : char { kEcho = 'E', kSink = 'S', kSource = 'G' };

struct Header {
  Command command;
  std::uint64_t argument = 0;
};

std::array<std::uint8_t, kHeaderBytes> encode(const Header& header);
std::optional<Header> decode(ByteSpan bytes);  // needs exactly kHeaderBytes
std::array<std::uint8_t, 8> encode_u64(std::uint64_t value);
std::uint64_t decode_u64(ByteSpan bytes);

// Deterministic payload: the bytes from stream offset `offset`, at most `max` of them (fewer
// where the pattern's period wraps). Points into a static table; no per-byte work.
ByteSpan pattern_at(std::uint64_t offset, std::size_t max);

// FNV-1a over a byte stream, fed in pieces.
struct Checksum {
  std::uint64_t value = 0xcbf29ce484222325ull;
  void update(ByteSpan bytes);
};

}  // namespace connswap::quicperf
