#pragma once
// The log line format (`--log-format`): the text of log.h, or JSON lines: one object per
// record with "ts", "level", "logger", the text's key=value fields (log_fields.h) as string
// members, and "msg". Kept out of log.h, which nearly every file includes.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <spdlog/formatter.h>

namespace connswap::log {

// The line format of the shared sink: kText `HH:MM:SS.us LEVEL logger text` (the default),
// kJson one json_line() per record.
enum class Format : std::uint8_t { kText, kJson };

// Switches every logger (existing and future: they share one sink) to `format`; call it
// before logging starts.
void set_format(Format format);

// "text" -> kText, "json" -> kJson, anything else nullopt.
std::optional<Format> parse_format(std::string_view name);

// One record as a JSON object, without the newline. `ts` as RFC 3339 UTC with microseconds;
// `level` lower-case ("trace".."error"); a field named ts/level/logger/msg is kept as
// "field.<name>"; a repeated field keeps its last value; invalid UTF-8 becomes U+FFFD.
std::string json_line(std::chrono::system_clock::time_point ts,
                      spdlog::level::level_enum level,
                      std::string_view logger,
                      std::string_view text);

// An spdlog formatter writing json_line() and '\n' for each record.
std::unique_ptr<spdlog::formatter> make_json_formatter();

}  // namespace connswap::log
