#pragma once
// The opcodes and limits of rpc_fuzz.cc's programs (fuzz/make_seeds.py writes seeds in
// them: keep the two in step).

#include <cstddef>
#include <cstdint>
#include <string>

#include "program.h"

namespace connswap::fuzz {

inline constexpr std::size_t kMaxFrame = 2048;      // small, so oversized frames are reachable
inline constexpr std::size_t kWindow = 8192;        // per-stream receive window the peer respects
inline constexpr std::size_t kHighWater = 4096;     // the Session's send queue bound
inline constexpr std::size_t kTrailerSlack = 1024;  // a trailer or header on top of a frame
inline constexpr std::uint8_t kUndecodable = 0xEE;  // messages starting with it fail to decode

// The methods the fuzzed Session serves (bidi, untyped), and one typed unary echo.
inline constexpr const char* kMethods[] = {"t.S/A", "t.S/B"};
inline constexpr const char* kUnaryMethod = "t.S/Unary";

enum class Op : std::uint8_t {
  kOpenPeerStream,  // -
  kRawData,         // stream u8, length u16, bytes, fin u8
  kFrame,  // stream u8, kind u8 (0 header, 1 message, 2 filler message, 3 trailer), fields, fin u8
  kFin,    // stream u8
  kPeerReset,        // stream u8, code u8
  kStopSending,      // stream u8, code u8
  kAcked,            // stream u8, bytes u16: the peer acknowledged sent bytes
  kTime,             // milliseconds u16
  kStartCall,        // method u8, has deadline u8, deadline ms u8
  kCallAction,       // call u8, action u8: pause, resume, write, finish, cancel, half-close,
                     // write filler; then the action's arguments
  kTransportToggle,  // refuse opens u8, fail sends u8 (0xFF)
  kEnd,              // close (odd) or connection lost (even) u8
  kCount,
};

// One of the served methods, an unknown one, or an invalid name.
inline std::string pick_method(Program& program) {
  switch (program.u8() % 5) {
    case 0:
      return kMethods[0];
    case 1:
      return kMethods[1];
    case 2:
      return kUnaryMethod;
    case 3:
      return "t.S/Unknown";
    default:
      return "bad method";
  }
}

}  // namespace connswap::fuzz
