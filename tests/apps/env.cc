#include "apps/env.h"

#include <cstdlib>
#include <cstring>

extern char** environ;

namespace connswap::app::testing {

EnvGuard::EnvGuard() {
  std::vector<std::string> names = {"RUST_LOG"};
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "CONNECTION_SWAP_", 16) == 0) {
      const char* eq = std::strchr(*e, '=');
      names.emplace_back(*e, eq != nullptr ? static_cast<std::size_t>(eq - *e) : std::strlen(*e));
    }
  }
  for (const auto& name : names) {
    unset(name);
  }
}

EnvGuard::~EnvGuard() {
  for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) {
    if (it->second) {
      ::setenv(it->first.c_str(), it->second->c_str(), 1);
    } else {
      ::unsetenv(it->first.c_str());
    }
  }
}

void EnvGuard::remember(const std::string& name) {
  const char* old = std::getenv(name.c_str());
  saved_.emplace_back(name, old != nullptr ? std::optional<std::string>(old) : std::nullopt);
}

void EnvGuard::set(const std::string& name, const std::string& value) {
  remember(name);
  ::setenv(name.c_str(), value.c_str(), 1);
}

void EnvGuard::unset(const std::string& name) {
  remember(name);
  ::unsetenv(name.c_str());
}

}  // namespace connswap::app::testing
