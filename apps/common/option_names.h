#pragma once
// Private to apps/common: rewrites a config field name at the start of a validate() message
// ("heartbeat_timeout: must be > 0") as the option that sets it
// ("--heartbeat-timeout-ms: must be > 0").

#include <string>

namespace connswap::app {

std::string name_options(const std::string& message);

}  // namespace connswap::app
