#include "worker/synthetic_source.h"

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
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

// SplitMix64's finaliser (Steele et al. 2014): a portable hash of one 64-bit word.
std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// FNV-1a-64: the stream's jitter seed. It depends on the prompt only, so a stream resumed on
// another worker keeps drawing the same intervals.
std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : text) {
    h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  }
  return h;
}

// The interval that follows token `seq`: uniform in [1 - pct/100, 1 + pct/100] x interval.
Duration jittered(Duration interval, std::uint32_t pct, std::uint64_t seed, std::uint64_t seq) {
  if (pct == 0 || interval == 0) {
    return interval;
  }
  const double u = static_cast<double>(mix64(seed ^ mix64(seq)) >> 11) * 0x1.0p-53;  // [0, 1)
  const double spread = static_cast<double>(std::min<std::uint32_t>(pct, 100)) / 100.0;
  return static_cast<Duration>(static_cast<double>(interval) * (1.0 + spread * (2.0 * u - 1.0)));
}

// One paced stream. Per token: one schedule step, one generator call and one push onto the
// prefix window; the window's vector stops growing once it reaches 2 * window, so the hot
// path allocates nothing beyond what the generator's string needs.
class SyntheticStream final : public TokenStream {
 public:
  SyntheticStream(StreamStart start, const Generator& gen, const SyntheticConfig& config)
      : req_(std::move(start.request)),
        prefix_(std::move(start.prefix)),
        window_(config.prefix_window),
        interval_(config.token_interval),
        jitter_pct_(config.jitter_pct),
        seed_(fnv1a(req_.prompt)),
        gen_(gen),
        schedule_(
            req_.start_seq, req_.max_tokens, config.token_interval, start.now, config.prefill) {
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
    schedule_.set_interval(jittered(interval_, jitter_pct_, seed_, schedule_.next_seq()));
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
  Duration interval_;         // before jitter
  std::uint32_t jitter_pct_;  // 0 = steady
  std::uint64_t seed_;        // FNV-1a(prompt)
  const Generator& gen_;
  TokenSchedule schedule_;
  bool finished_ = false;
};

}  // namespace

SyntheticSource::SyntheticSource(SyntheticConfig config, const Generator* generator)
    : config_(config), gen_(generator != nullptr ? *generator : demo_) {}

Result<std::unique_ptr<TokenStream>> SyntheticSource::start(StreamStart start, Notify /*notify*/) {
  return std::unique_ptr<TokenStream>(
      std::make_unique<SyntheticStream>(std::move(start), gen_, config_));
}

}  // namespace connswap::worker
