#pragma once
// The status page's style sheet and script, compiled into the binary (status_assets.cc).
// Not for use outside src/front.

#include <string_view>

namespace connswap::front::detail {

extern const std::string_view kStatusCss;
extern const std::string_view kStatusJs;

}  // namespace connswap::front::detail
