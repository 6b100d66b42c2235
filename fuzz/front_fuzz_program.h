#pragma once
// The opcodes and limits of front_fuzz.cc's programs (fuzz/make_seeds.py writes seeds in
// them: keep the two in step).

#include <cstddef>
#include <cstdint>

#include "program.h"

namespace connswap::fuzz {

inline constexpr int kMaxOps = 64;                    // per input: bounds virtual time and work
inline constexpr int kMaxAdvanceMs = 4000;            // one kTime op at most
inline constexpr int kMaxVirtualMs = 30000;           // all kTime ops of an input together
inline constexpr int kTokenIntervalMs = 50;           // the workers' pacing
inline constexpr int kStepMs = 20;                    // a past deadline fires again after this long
inline constexpr std::size_t kKeepBytes = 4096;       // of the last write, for inspection
inline constexpr std::size_t kWriteHighWater = 4096;  // the session's (small) write bound
inline constexpr std::size_t kWriteSlack = 16 * 1024;  // one event or response over it
inline constexpr const char* kPaths[] = {
    "/v1/chat/completions", "/v1/completions", "/v1/models", "/healthz", "/readyz", "/nope"};

enum class Op : std::uint8_t {
  kBytes,    // u16 length, bytes, u8 piece size - 1
  kRequest,  // a built request (see Driver::build_request), u8 piece size - 1
  kTime,     // milliseconds u16 (modulo kMaxAdvanceMs, within kMaxVirtualMs)
  kDrain,    // bytes u16 the kernel takes
  kClose,    // the client leaves
  kCount,
};

}  // namespace connswap::fuzz
