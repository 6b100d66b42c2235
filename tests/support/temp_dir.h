#pragma once
// A fresh private directory for one test, removed (recursively) on destruction.

#include <filesystem>
#include <string_view>

namespace connswap::testing {

// Owns a directory made by mkdtemp under $TMPDIR (or /tmp). Move-only; a moved-from
// TempDir owns nothing. Construction failure is a broken test host: it reports a GTest
// failure and aborts.
class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "connswap-test");
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  // The directory; empty if moved from.
  const std::filesystem::path& path() const { return path_; }

 private:
  void remove() noexcept;

  std::filesystem::path path_;
};

}  // namespace connswap::testing
