#pragma once
// A log-linear histogram of non-negative 64-bit values (nanoseconds here): 64 sub-buckets
// per power of two, so any quantile is within ~1.6 % of the true value. Fixed size (~30
// KiB), O(1) record, mergeable; one per thread, merged at the end.

#include <array>
#include <cstdint>

namespace connswap::bench {

class Histogram {
 public:
  void record(std::uint64_t value);
  void merge(const Histogram& other);

  std::uint64_t count() const { return count_; }
  std::uint64_t max() const { return max_; }
  std::uint64_t min() const { return count_ == 0 ? 0 : min_; }
  // The value at quantile q in [0, 1] (the midpoint of its bucket, capped at max()); 0 if empty.
  std::uint64_t quantile(double q) const;

 private:
  static constexpr int kSubBits = 6;
  static constexpr int kBuckets = (64 - kSubBits) * (1 << kSubBits) + (1 << kSubBits);
  static int index_of(std::uint64_t value);
  static std::uint64_t midpoint_of(int index);

  std::array<std::uint64_t, kBuckets> buckets_{};
  std::uint64_t count_ = 0;
  std::uint64_t max_ = 0;
  std::uint64_t min_ = UINT64_MAX;
};

}  // namespace connswap::bench
