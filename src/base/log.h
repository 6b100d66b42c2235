#pragma once
// Logging facade: one named spdlog logger per module ("quic", "net", "rpc", ...), created on
// first use and sharing one stderr sink. Library code logs only through these loggers.
// Lines follow the seed's shape: `LEVEL key=value key=value: message`.

#include <optional>
#include <string_view>

#include <spdlog/spdlog.h>

namespace connswap::log {

// The logger for `module`; never null. Cheap after the first call for a name.
spdlog::logger& get(std::string_view module);

// Sets the level of every logger (existing and future). `spec` is a level name
// ("trace", "debug", "info", "warn", "error", "off") or a RUST_LOG-like list whose last
// bare level wins ("info,connswap=debug" -> debug for all). Returns false if unparsable.
bool set_level(std::string_view spec);

// Parses a level name as accepted by set_level.
std::optional<spdlog::level::level_enum> parse_level(std::string_view spec);

}  // namespace connswap::log
