// libFuzzer target for the untrusted-input parsers of src/wire: the incremental frame
// decoder and the call-header / trailer envelopes.
//
// Input: byte 0 picks how the rest is split into pushes (1..127 bytes per push; 0 and
// 128+ push everything at once); bytes 1.. are a call's stream. Besides "no crash, no
// sanitizer report" it checks that the split does not change the decoded frames and that
// a decoded header re-encodes to an equal header. Build and run: scripts/fuzz.sh.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "wire/envelope.h"
#include "wire/frame.h"

namespace {

using connswap::Bytes;
using connswap::ByteSpan;
namespace wire = connswap::wire;

constexpr std::size_t kLimit = 64 * 1024;  // small, so oversized paths are reachable

struct Outcome {
  std::vector<std::pair<wire::FrameKind, Bytes>> frames;
  int error = -1;  // FrameError, or -1
};

Outcome decode(ByteSpan stream, std::size_t step) {
  Outcome out;
  wire::FrameDecoder decoder(kLimit);
  std::size_t fed = 0;
  std::size_t framed = 0;
  for (std::size_t at = 0; at < stream.size() && out.error < 0; at += step) {
    const ByteSpan piece = stream.subspan(at, std::min(step, stream.size() - at));
    decoder.push(piece);
    fed += piece.size();
    while (true) {
      auto frame = decoder.next();
      if (!frame) {
        out.error = static_cast<int>(frame.error());
        break;
      }
      if (!*frame) {
        break;
      }
      framed += (*frame)->wire_size;
      out.frames.emplace_back((*frame)->kind, Bytes((*frame)->body.begin(), (*frame)->body.end()));
    }
    if (out.error < 0 && framed + decoder.buffered() != fed) {
      std::abort();  // bytes lost or invented
    }
  }
  if (out.error < 0) {
    if (auto fin = decoder.finish(); !fin) {
      out.error = static_cast<int>(fin.error());
    }
  }
  return out;
}

void check_envelopes(const Outcome& outcome) {
  for (const auto& [kind, body] : outcome.frames) {
    if (kind == wire::FrameKind::kTrailer) {
      (void)wire::decode_trailer(body);
      continue;
    }
    auto header = wire::decode_call_header(body);
    if (!header) {
      continue;
    }
    // Whatever decodes must re-encode, and decode to the same header.
    Bytes again;
    if (!wire::append_header_frame(again, *header)) {
      std::abort();
    }
    wire::FrameDecoder decoder(again.size());
    decoder.push(again);
    auto frame = decoder.next();
    if (!frame || !*frame) {
      std::abort();
    }
    auto round = wire::decode_call_header((*frame)->body);
    if (!round || round->method != header->method || round->timeout_ms != header->timeout_ms ||
        round->metadata != header->metadata) {
      std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::size_t step = data[0] == 0 || data[0] >= 128 ? size : data[0];
  const ByteSpan stream(data + 1, size - 1);
  const Outcome split = decode(stream, step);
  const Outcome whole = decode(stream, stream.size() + 1);
  if (split.frames != whole.frames || split.error != whole.error) {
    std::abort();  // the decoder must not depend on how bytes arrive
  }
  check_envelopes(whole);
  (void)wire::decode_call_header(stream);  // the raw input as a header body, too
  return 0;
}
