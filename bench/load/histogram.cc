#include "histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace connswap::bench {

// Values below 2^(kSubBits+1) get one bucket each; above, a value with its top bit at
// position m lands in sub-bucket (value >> (m - kSubBits)) of power m.
int Histogram::index_of(std::uint64_t value) {
  constexpr std::uint64_t kLinear = std::uint64_t{1} << (kSubBits + 1);
  if (value < kLinear) {
    return static_cast<int>(value);
  }
  const int msb = 63 - std::countl_zero(value);
  const int shift = msb - kSubBits;
  return (shift + 1) * (1 << kSubBits) + static_cast<int>((value >> shift) - (1U << kSubBits));
}

std::uint64_t Histogram::midpoint_of(int index) {
  constexpr int kSub = 1 << kSubBits;
  if (index < 2 * kSub) {
    return static_cast<std::uint64_t>(index);
  }
  const int shift = index / kSub - 1;
  const std::uint64_t low = static_cast<std::uint64_t>(index % kSub + kSub) << shift;
  return low + ((std::uint64_t{1} << shift) >> 1);
}

void Histogram::record(std::uint64_t value) {
  ++buckets_[static_cast<std::size_t>(index_of(value))];
  ++count_;
  max_ = std::max(max_, value);
  min_ = std::min(min_, value);
}

void Histogram::merge(const Histogram& other) {
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    buckets_[i] += other.buckets_[i];
  }
  count_ += other.count_;
  max_ = std::max(max_, other.max_);
  min_ = std::min(min_, other.min_);
}

std::uint64_t Histogram::quantile(double q) const {
  if (count_ == 0) {
    return 0;
  }
  // The rank of the q-quantile, 1-based (nearest rank).
  const auto rank = std::max<std::uint64_t>(
      1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_))));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank) {
      return std::clamp(midpoint_of(static_cast<int>(i)), min(), max_);
    }
  }
  return max_;
}

}  // namespace connswap::bench
