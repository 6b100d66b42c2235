// connswap-director: clients stream Generate calls to USER; workers register on MGMT; each
// stream is proxied to a worker and moved to another one when it fails (docs/PROTOCOL.md §7).

#include <exception>

#include "base/log.h"
#include "common/director_options.h"
#include "common/ready_file.h"
#include "director/director_app.h"
#include "net/loop.h"

using namespace connswap;
using namespace connswap::app;

namespace {

// main() without the last-resort catch below.
int run_main(int argc, char** argv) {
  DirectorArgs args;
  if (int code = parse_director_command_line(args, argc, argv); code >= 0) {
    return code;
  }
  if (auto ok = apply_log_level(args.common.log_level); !ok) {
    return fail(Role::kDirector, kExitUsage, ok.error().detail);
  }
  if (auto ok = apply_log_format(args.common.log_format); !ok) {
    return fail(Role::kDirector, kExitUsage, ok.error().detail);
  }
  if (auto ok = finish_director_options(args); !ok) {
    return fail(Role::kDirector, kExitUsage, ok.error().detail);
  }

  net::Loop loop;
  quiet_startup(args.common.log_level);  // only the error line if binding fails
  auto app = DirectorApp::start(loop, args);
  if (!app) {
    return fail(Role::kDirector, kExitUsage, app.error().detail);
  }
  (void)apply_log_level(args.common.log_level);
  log::get("director").info("{}: effective configuration", describe(args));
  if (!args.common.ready_file.empty()) {
    if (auto ok = write_ready_file(args.common.ready_file, (*app)->ready_fields()); !ok) {
      return fail(Role::kDirector, kExitRuntime, ok.error().detail);
    }
  }
  return (*app)->run();
}

}  // namespace

// STYLE.md 2.3: main catches what the control plane throws (a CLI11 construction error,
// std::filesystem, fmt) and reports it on one line instead of std::terminate.
int main(int argc, char** argv) {
  try {
    return run_main(argc, argv);
  } catch (const std::exception& e) {
    return fail(Role::kDirector, kExitRuntime, e.what());
  }
}
