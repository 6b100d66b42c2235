#pragma once
// nlohmann-json for src/front's .cc files only (it is slow to compile; never in a public
// header). Not for use outside src/front.

#include <string>

#include <nlohmann/json.hpp>

namespace connswap::front {

// `j` as compact text; invalid UTF-8 in any string is replaced (U+FFFD), never thrown.
inline std::string dump_json(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace connswap::front
