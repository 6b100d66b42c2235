#include "worker/worker_stream.h"

#include <algorithm>
#include <span>
#include <utility>

namespace connswap::worker {

WorkerStream::WorkerStream(GenerateRequest req,
                           std::vector<std::string> prefix,
                           Duration interval,
                           Timestamp now,
                           std::size_t window)
    : req_(std::move(req)),
      prefix_(std::move(prefix)),
      window_(window),
      schedule_(req_.start_seq, req_.max_tokens, interval, now) {}

std::optional<WorkerItem> WorkerStream::poll(Timestamp now,
                                             FailureAction action,
                                             const Generator& gen) {
  if (finished_ || hung_) {
    return std::nullopt;
  }
  switch (action) {
    case FailureAction::kError:
      finished_ = true;
      return ErrorItem{"simulated worker failure"};
    case FailureAction::kHang:
      hung_ = true;
      return std::nullopt;
    case FailureAction::kCrash:
      return std::nullopt;  // the binding exits the process
    case FailureAction::kServe:
      break;
  }
  if (schedule_.done()) {
    finished_ = true;
    return DoneItem{schedule_.emitted()};
  }
  auto seq = schedule_.poll(now);
  if (!seq) {
    return std::nullopt;
  }
  std::string text = gen.token(req_, *seq, prefix_view());
  // Compact only when twice the window: the view stays contiguous at amortized O(1) cost.
  if (window_ != 0) {
    if (prefix_.size() >= 2 * window_) {
      prefix_.erase(prefix_.begin(), prefix_.end() - static_cast<std::ptrdiff_t>(window_ - 1));
    }
    prefix_.push_back(text);
  }
  return TokenItem{*seq, std::move(text)};
}

std::span<const std::string> WorkerStream::prefix_view() const {
  const std::size_t n = std::min(prefix_.size(), window_);
  return std::span<const std::string>(prefix_).subspan(prefix_.size() - n);
}

Timestamp WorkerStream::deadline() const {
  if (finished_ || hung_) {
    return kNever;
  }
  return schedule_.done() ? 0 : schedule_.deadline();
}

}  // namespace connswap::worker
