#include "worker/synthetic_source.h"

#include <algorithm>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "worker/token_schedule.h"

namespace connswap::worker {
namespace {

// The synthetic model's prompt length: its whitespace-separated words (what it reports as
// prompt_tokens in usage).
std::uint64_t prompt_words(std::string_view prompt) {
  std::uint64_t words = 0;
  bool in_word = false;
  for (const char c : prompt) {
    const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    words += (!space && !in_word) ? 1 : 0;
    in_word = !space;
  }
  return words;
}

// One paced stream. Per token: one schedule step, one generator call and one push onto the
// prefix window; the window's vector stops growing once it reaches 2 * window, so the hot
// path allocates nothing beyond what the generator's string needs.
class SyntheticStream final : public TokenStream {
 public:
  SyntheticStream(StreamStart start, const Generator& gen, Duration interval, std::size_t window)
      : req_(std::move(start.request)),
        prefix_(std::move(start.prefix)),
        window_(window),
        gen_(gen),
        schedule_(req_.start_seq, req_.max_tokens, interval, start.now) {
    if (prefix_.size() > window_) {  // the director may send the whole answer so far
      prefix_.erase(prefix_.begin(), prefix_.end() - static_cast<std::ptrdiff_t>(window_));
    }
  }

  std::optional<WorkerItem> poll(Timestamp now) override {
    if (finished_) {
      return std::nullopt;
    }
    if (schedule_.done()) {
      finished_ = true;
      return DoneItem{schedule_.emitted(), FinishReason::kLength, prompt_words(req_.prompt)};
    }
    auto seq = schedule_.poll(now);
    if (!seq) {
      return std::nullopt;
    }
    std::string text = gen_.token(req_, *seq, prefix_view());
    // Compact only when twice the window: the view stays contiguous at amortized O(1) cost.
    if (window_ != 0) {
      if (prefix_.size() >= 2 * window_) {
        prefix_.erase(prefix_.begin(), prefix_.end() - static_cast<std::ptrdiff_t>(window_ - 1));
      }
      prefix_.push_back(text);
    }
    return TokenItem{*seq, std::move(text)};
  }

  Timestamp deadline() const override {
    if (finished_) {
      return kNever;
    }
    return schedule_.done() ? 0 : schedule_.deadline();  // Done is due at once
  }

  void cancel() override { finished_ = true; }

 private:
  // The generator's prefix: the last `window` tokens before the next one.
  std::span<const std::string> prefix_view() const {
    const std::size_t n = std::min(prefix_.size(), window_);
    return std::span<const std::string>(prefix_).subspan(prefix_.size() - n);
  }

  GenerateRequest req_;
  std::vector<std::string> prefix_;  // grows to 2*window, then compacts (amortized O(1))
  std::size_t window_;
  const Generator& gen_;
  TokenSchedule schedule_;
  bool finished_ = false;
};

}  // namespace

SyntheticSource::SyntheticSource(SyntheticConfig config, const Generator* generator)
    : config_(config), gen_(generator != nullptr ? *generator : demo_) {}

Result<std::unique_ptr<TokenStream>> SyntheticSource::start(StreamStart start, Notify /*notify*/) {
  return std::unique_ptr<TokenStream>(std::make_unique<SyntheticStream>(
      std::move(start), gen_, config_.token_interval, config_.prefix_window));
}

}  // namespace connswap::worker
