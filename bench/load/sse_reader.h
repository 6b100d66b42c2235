#pragma once
// The client side of the HTTP front's SSE completion stream, for connswap-bench's --http:
// splits the body into events (separated by "\n\n", as the front sends them; `data:` lines
// joined, `:` comments skipped) and classifies each event's data as a token chunk, the final
// chunk, [DONE], an error event or something that does not parse. Sans-IO; never throws.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace connswap::bench {

enum class ChunkKind : std::uint8_t {
  kToken,   // valid JSON with choices[{..."text":"..." and finish_reason null/absent
  kFinish,  // choices[0].finish_reason is set
  kDone,    // "[DONE]"
  kError,   // {"error": ...}
  kBad,     // not JSON, or JSON without choices[{ and a "text" string
};

// Classifies one event's data (the text after "data: ").
ChunkKind classify_chunk(std::string_view data);

// Accumulates body bytes and calls on_event with each complete event's data.
class SseReader {
 public:
  using OnEvent = std::function<void(std::string_view data)>;
  using OnComment = std::function<void(std::string_view text)>;  // a ": text" line
  explicit SseReader(OnEvent on_event, OnComment on_comment = nullptr)
      : on_event_(std::move(on_event)), on_comment_(std::move(on_comment)) {}

  void feed(std::string_view bytes);
  void reset();                                      // a new response on the same reader
  bool partial() const { return !buffer_.empty(); }  // bytes of an unfinished event held

 private:
  void event(std::string_view block);

  OnEvent on_event_;
  OnComment on_comment_;
  std::string buffer_;
  std::string data_;
};

}  // namespace connswap::bench
