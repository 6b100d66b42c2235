#pragma once
// Time in the core is a plain nanosecond count on CLOCK_MONOTONIC, the unit ngtcp2 uses.
// Only src/net and the apps read the clock; the core receives `now` as an argument.

#include <chrono>
#include <cstdint>
#include <limits>

namespace connswap {

using Timestamp = std::uint64_t;  // nanoseconds since an arbitrary monotonic epoch
using Duration = std::uint64_t;   // nanoseconds

inline constexpr Timestamp kNever = std::numeric_limits<Timestamp>::max();
inline constexpr Duration kMicrosecond = 1'000;
inline constexpr Duration kMillisecond = 1'000'000;
inline constexpr Duration kSecond = 1'000'000'000;

template <class Rep, class Period>
constexpr Duration to_duration(std::chrono::duration<Rep, Period> d) {
  return static_cast<Duration>(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
}

constexpr std::chrono::nanoseconds to_chrono(Duration d) {
  return std::chrono::nanoseconds(static_cast<std::int64_t>(d));
}

}  // namespace connswap
