// connswap-worker: serves Generate streams for the director (USER port) and health checks
// (MGMT port), registers and heartbeats with the director, simulates a failure on schedule
// (error, crash, hang) and drains on SIGTERM/SIGINT (docs/PROTOCOL.md §7).

#include <exception>

#include "base/log.h"
#include "common/ready_file.h"
#include "common/worker_options.h"
#include "net/loop.h"
#include "worker/worker_app.h"

using namespace connswap;
using namespace connswap::app;

namespace {

// main() without the last-resort catch below.
int run_main(int argc, char** argv) {
  WorkerArgs args;
  if (int code = parse_worker_command_line(args, argc, argv); code >= 0) {
    return code;
  }
  if (auto ok = apply_log_level(args.common.log_level); !ok) {
    return fail(Role::kWorker, kExitUsage, ok.error().detail);
  }
  if (auto ok = apply_log_format(args.common.log_format); !ok) {
    return fail(Role::kWorker, kExitUsage, ok.error().detail);
  }
  if (auto ok = finish_worker_options(args); !ok) {
    return fail(Role::kWorker, kExitUsage, ok.error().detail);
  }

  net::Loop loop;
  quiet_startup(args.common.log_level);  // only the error line if binding fails
  auto app = WorkerApp::start(loop, args);
  if (!app) {
    return fail(Role::kWorker, kExitUsage, app.error().detail);
  }
  (void)apply_log_level(args.common.log_level);
  log::get("worker").info("{}: effective configuration", describe(args));
  if (!args.common.ready_file.empty()) {
    if (auto ok = write_ready_file(args.common.ready_file, (*app)->ready_fields()); !ok) {
      return fail(Role::kWorker, kExitRuntime, ok.error().detail);
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
    return fail(Role::kWorker, kExitRuntime, e.what());
  }
}
