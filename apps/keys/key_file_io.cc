#include "key_file_io.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "migration/keys.h"

namespace connswap::keys_app {

namespace fs = std::filesystem;

// Writes `text` to a 0600 temporary file beside `path`, then renames it into place, so a
// reader never sees a half-written key file.
bool write_atomically(const fs::path& path, const std::string& text, std::string& error) {
  std::string tmp = (path.parent_path() / ("." + path.filename().string() + ".XXXXXX")).string();
  int fd = ::mkstemp(tmp.data());  // created 0600
  if (fd < 0) {
    error = "cannot create a file next to " + path.string() + ": " + std::strerror(errno);
    return false;
  }
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  const bool ok = done == text.size() && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    error = "cannot write " + path.string() + ": " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return false;
  }
  return true;
}

std::optional<std::string> read_key_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (auto warning = migration::key_file_mode_warning(path, st.st_mode); !warning.empty()) {
      std::fprintf(stderr,
                   "connswap-keys: warning: %s (the rotated file is written 0600)\n",
                   warning.c_str());
    }
  }
  return text.str();
}

}  // namespace connswap::keys_app
