#include "openai/detail/json_text.h"

#include <nlohmann/json.hpp>

namespace connswap::openai::detail {

std::string json_string(std::string_view s) {
  // error_handler_t::replace: dump() never throws on invalid UTF-8 (the default throws).
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace connswap::openai::detail
