#include "common/http_options.h"

#include <fmt/format.h>

#include "base/address.h"
#include "common/cli.h"

namespace connswap::app {

void add_http_options(CLI::App& app, HttpArgs& args) {
  constexpr Role kRole = Role::kDirector;
  front::HttpFrontConfig& c = args.config;
  add_env_option(app,
                 kRole,
                 "--http-addr",
                 args.addr,
                 "OpenAI-compatible HTTP/1.1 + SSE listen address (\"\" = off)");
  app.add_flag("--http-tls",
               args.tls,
               "HTTPS on --http-addr with the node's --tls-cert/--tls-key (TLS 1.2/1.3)")
      ->envname(env_name(kRole, "--http-tls"));
  add_env_option(app,
                 kRole,
                 "--http-max-connections",
                 args.tcp.max_connections,
                 "open HTTP connections; more are closed at once");
  add_env_option(app,
                 kRole,
                 "--http-max-header-bytes",
                 c.limits.max_header_bytes,
                 "request line + headers; larger: 431");
  add_env_option(app,
                 kRole,
                 "--http-max-headers",
                 c.limits.max_headers,
                 "header lines per request; more: 431");
  add_env_option(
      app, kRole, "--http-max-body-bytes", c.limits.max_body_bytes, "request body; larger: 413");
  add_ms_option(app,
                kRole,
                "--http-request-timeout-ms",
                c.request_timeout,
                "a request must arrive whole this long after its first byte (slowloris)");
  add_ms_option(app,
                kRole,
                "--http-idle-timeout-ms",
                c.idle_timeout,
                "an idle keep-alive connection is closed after this");
  add_env_option(app,
                 kRole,
                 "--http-max-tokens",
                 c.decode.max_tokens,
                 "largest max_tokens a request may ask for; larger: 400");
  add_env_option(app,
                 kRole,
                 "--http-default-max-tokens",
                 c.decode.default_max_tokens,
                 "max_tokens of a request that names none");
  add_env_option(app,
                 kRole,
                 "--http-write-buffer-bytes",
                 c.completion.write_high_water,
                 "bytes queued to a slow HTTP reader before its stream pauses");
  add_env_option(app,
                 kRole,
                 "--http-max-response-bytes",
                 c.completion.max_response_bytes,
                 "largest stream:false answer; larger ends the request with an error");
  add_env_option(app,
                 kRole,
                 "--http-max-event-id-bytes",
                 c.completion.max_event_id_bytes,
                 "longest SSE event id (resume point, with --cluster-key-file; at most "
                 "--http-max-header-bytes - 1024, as it comes back as Last-Event-ID); an "
                 "event whose id would be longer goes without one; 0 = no ids");
  add_status_options(app, args.status);
}

Result<void> finish_http_options(HttpArgs& args) {
  if (auto status = finish_status_options(args.status); !status) {
    return status;
  }
  args.config.status = args.status.config;
  if (args.addr.empty()) {
    return {};
  }
  if (args.config.status.access == front::StatusAccess::kOperator && !args.tls) {
    return make_error(Errc::kInvalidArgument,
                      "--http-status operator needs --http-tls (operators are known by their "
                      "client certificate)");
  }
  if (auto addr = Address::parse(args.addr); !addr) {
    return make_error(Errc::kInvalidArgument, "--http-addr: " + addr.error().detail);
  }
  const front::HttpFrontConfig& c = args.config;
  const std::pair<const char*, std::size_t> sizes[] = {
      {"--http-max-connections", args.tcp.max_connections},
      {"--http-max-header-bytes", c.limits.max_header_bytes},
      {"--http-max-headers", c.limits.max_headers},
      {"--http-max-body-bytes", c.limits.max_body_bytes},
      {"--http-max-tokens", c.decode.max_tokens},
      {"--http-write-buffer-bytes", c.completion.write_high_water},
      {"--http-max-response-bytes", c.completion.max_response_bytes}};
  for (const auto& [flag, value] : sizes) {
    if (value == 0) {
      return make_error(Errc::kInvalidArgument, fmt::format("{} must be positive", flag));
    }
  }
  if (c.request_timeout <= 0 || c.idle_timeout <= 0) {
    return make_error(Errc::kInvalidArgument,
                      "--http-request-timeout-ms and --http-idle-timeout-ms must be positive");
  }
  if (c.decode.default_max_tokens > c.decode.max_tokens) {
    return make_error(Errc::kInvalidArgument,
                      "--http-default-max-tokens must not exceed --http-max-tokens");
  }
  return {};
}

std::string describe(const HttpArgs& args) {
  if (args.addr.empty()) {
    return "http_addr=off";
  }
  const front::HttpFrontConfig& c = args.config;
  return fmt::format(
      "http_addr={} http_tls={} http_max_connections={} http_max_header_bytes={} "
      "http_max_body_bytes={} "
      "http_request_timeout_ms={} http_idle_timeout_ms={} http_max_tokens={} http_status={} "
      "status_max_streams={}",
      args.addr,
      args.tls,
      args.tcp.max_connections,
      c.limits.max_header_bytes,
      c.limits.max_body_bytes,
      c.request_timeout / kMillisecond,
      c.idle_timeout / kMillisecond,
      c.decode.max_tokens,
      args.status.mode,
      c.status.max_streams);
}

}  // namespace connswap::app
