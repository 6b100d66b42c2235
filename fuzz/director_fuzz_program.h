#pragma once
// The opcodes of director_fuzz.cc's programs (fuzz/make_seeds.py writes seeds in them:
// keep the two in step).

#include <cstddef>
#include <cstdint>

#include "program.h"

namespace connswap::fuzz {

inline constexpr int kMaxOps = 64;           // per input: bounds the virtual time and the work
inline constexpr int kMaxAdvanceMs = 4000;   // one kTime op at most
inline constexpr int kMaxVirtualMs = 30000;  // all kTime ops of an input together
inline constexpr int kTokenIntervalMs = 50;  // the workers' pacing
inline constexpr std::size_t kMaxStreamsPerConnection = 8;  // the director's limit
inline constexpr const char* kLabels[] = {"worker-a", "worker-b"};

enum class Op : std::uint8_t {
  kRawGenerate,  // connection id (u8 mode [, u8 length, bytes]), u16 length, request bytes
  kGenerate,     // a built GenerateRequest (see Driver::generate), connection id
  kRawMgmt,      // method u8, u16 length, request bytes
  kMgmt,         // a built Register / DrainWorker / MoveStream / ListSessions request
  kTime,         // milliseconds u16 (modulo kMaxAdvanceMs, within kMaxVirtualMs)
  kCancel,       // call u8
  kCrash,        // worker u8
  kCount,
};

}  // namespace connswap::fuzz
