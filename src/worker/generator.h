#pragma once
// Token generation for the worker. Generator is the seam for a real model; DemoGenerator is
// the built-in deterministic generator any worker can continue and any client can verify.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/generate.h"

namespace connswap::worker {

// Produces token `seq` of the stream for `req`. `prefix` holds the tokens delivered just
// before `seq` (oldest first, possibly truncated to a window); a real model conditions on
// it. Must not block; called once per emitted token.
class Generator {
 public:
  virtual ~Generator() = default;
  virtual std::string token(const GenerateRequest& req,
                            std::uint64_t seq,
                            std::span<const std::string> prefix) const = 0;
};

// Stable 64-bit FNV-1a over the prompt bytes followed by `seq` as 8 little-endian bytes.
// Identical on every platform and build; part of the demo protocol, never change it.
std::uint64_t demo_hash(std::string_view prompt, std::uint64_t seq);

// The demo token for (prompt, seq): word kDemoWords[fold(demo_hash) & 0xff] followed by one
// space, so joined tokens read like a sentence. `fold` xors the hash's bytes together.
std::string demo_token(std::string_view prompt, std::uint64_t seq);

// The 256-word list demo_token indexes; fixed forever (golden tests pin it).
std::string_view demo_word(std::uint8_t index);

// Deterministic generator: token(req, seq, prefix) == demo_token(req.prompt, seq); ignores
// the prefix and params, so any worker continues any stream from any sequence number.
class DemoGenerator final : public Generator {
 public:
  std::string token(const GenerateRequest& req,
                    std::uint64_t seq,
                    std::span<const std::string> prefix) const override;
};

}  // namespace connswap::worker
