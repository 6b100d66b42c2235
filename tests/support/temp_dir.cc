#include "support/temp_dir.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <system_error>
#include <utility>

#include <gtest/gtest.h>
#include <stdlib.h>

namespace connswap::testing {

TempDir::TempDir(std::string_view prefix) {
  const char* env = std::getenv("TMPDIR");
  std::filesystem::path base = (env != nullptr && *env != '\0') ? env : "/tmp";
  std::string tmpl = (base / (std::string(prefix) + ".XXXXXX")).string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp(" << tmpl << ") failed: " << std::strerror(errno);
    std::abort();
  }
  path_ = tmpl;
}

TempDir::TempDir(TempDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    remove();
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

TempDir::~TempDir() {
  remove();
}

void TempDir::remove() noexcept {
  if (!path_.empty()) {
    std::error_code ec;  // best effort: a leftover temp dir must not fail the test
    std::filesystem::remove_all(path_, ec);
    path_.clear();
  }
}

}  // namespace connswap::testing
