#pragma once
// connswap-keys' file side: reading a key file to rotate it and writing one atomically
// with mode 0600. The key format itself is src/migration/keys.h.

#include <filesystem>
#include <optional>
#include <string>

namespace connswap::keys_app {

// Writes `text` to a 0600 temporary file beside `path`, then renames it into place, so a
// reader never sees a half-written key file. False with `error` set on failure.
bool write_atomically(const std::filesystem::path& path,
                      const std::string& text,
                      std::string& error);

// The whole file at `path`, or nullopt if it cannot be opened. Prints a warning on stderr
// when group or others may read it (the rotated file is written 0600).
std::optional<std::string> read_key_file(const std::string& path);

}  // namespace connswap::keys_app
