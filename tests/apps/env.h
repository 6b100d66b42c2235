#pragma once
// Environment control for config tests: sets or unsets variables for one scope and puts the
// previous values back. Every guard also hides the variables the programs read, so a test
// sees only what it sets.

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace connswap::app::testing {

class EnvGuard {
 public:
  // Unsets every CONNECTION_SWAP_* variable and RUST_LOG for the guard's lifetime.
  EnvGuard();
  ~EnvGuard();
  EnvGuard(const EnvGuard&) = delete;
  EnvGuard& operator=(const EnvGuard&) = delete;

  void set(const std::string& name, const std::string& value);
  void unset(const std::string& name);

 private:
  void remember(const std::string& name);
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

}  // namespace connswap::app::testing
