#pragma once
// Private helpers of src/openai: JSON text without exposing nlohmann in any header.

#include <string>
#include <string_view>

namespace connswap::openai::detail {

// `s` as a quoted JSON string (UTF-8 kept as is, control characters escaped). Invalid UTF-8
// bytes become U+FFFD (a token may split a multi-byte character); never throws.
std::string json_string(std::string_view s);

}  // namespace connswap::openai::detail
