#pragma once
// A strict JSON validator (RFC 8259 grammar, no DOM, no allocation) for connswap-bench's SSE
// chunks: nlohmann's accept() cost the bench ~1 µs per 150-byte chunk, half its CPU per
// token, on a machine where the bench shares two cores with the director it measures.

#include <string_view>

namespace connswap::bench {

// True if `text` is exactly one JSON value (whitespace around it allowed); nesting is
// limited to 64 levels.
bool valid_json(std::string_view text);

}  // namespace connswap::bench
