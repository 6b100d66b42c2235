#pragma once
// The ready-file: once a program has bound its ports it writes `key=value` lines (the
// actual addresses, so tests can bind port 0) to a path, atomically (a temporary file in
// the same directory, then rename): a reader sees no file or the whole file.

#include <string>
#include <utility>
#include <vector>

#include "base/error.h"

namespace connswap::app {

using ReadyFields = std::vector<std::pair<std::string, std::string>>;

// "key=value\n" per field, in order.
std::string format_ready(const ReadyFields& fields);

// Parses format_ready() output (for tests and tools); kInvalidArgument on a bad line.
Result<ReadyFields> parse_ready(const std::string& text);

// Writes format_ready(fields) to `path` atomically. kIo on failure.
Result<void> write_ready_file(const std::string& path, const ReadyFields& fields);

}  // namespace connswap::app
