#include "common/status_options.h"

#include "common/cli.h"

namespace connswap::app {

void add_status_options(CLI::App& app, StatusArgs& args) {
  constexpr Role kRole = Role::kDirector;
  add_env_option(app,
                 kRole,
                 "--http-status",
                 args.mode,
                 "status page and /debug/* JSON + live feed on --http-addr: on (anyone who "
                 "reaches it) | off (404) | operator (with --http-tls: only clients whose "
                 "certificate has the operator role, 403 for others); they show worker labels, "
                 "addresses and connection ids")
      ->check(CLI::IsMember({"on", "off", "operator"}));
  add_env_option(app,
                 kRole,
                 "--status-max-streams",
                 args.config.max_streams,
                 "stream rows on the status page and in /debug/streams (the rest are counted)");
  add_env_option(app,
                 kRole,
                 "--status-feed-queue",
                 args.config.feed_queue,
                 "events held for a slow /debug/events subscriber; older ones are dropped "
                 "(connswap_http_status_events_dropped_total)");
  add_ms_option(app,
                kRole,
                "--status-feed-keepalive-ms",
                args.config.feed_keepalive,
                "an SSE comment on a quiet /debug/events feed this often");
}

Result<void> finish_status_options(StatusArgs& args) {
  args.config.access = args.mode == "operator" ? front::StatusAccess::kOperator
                       : args.mode == "off"    ? front::StatusAccess::kOff
                                               : front::StatusAccess::kOn;
  if (args.config.max_streams == 0 || args.config.feed_queue == 0 ||
      args.config.feed_keepalive <= 0) {
    return make_error(Errc::kInvalidArgument,
                      "--status-max-streams, --status-feed-queue and "
                      "--status-feed-keepalive-ms must be positive");
  }
  return {};
}

}  // namespace connswap::app
