#include "ctl.h"

#include <cstdio>
#include <functional>
#include <optional>
#include <string_view>

#include <connswap/v1/migration.pb.h>
#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>

#include "base/address.h"
#include "common/tls_files.h"
#include "net/loop.h"
#include "rpcnet/channel.h"
#include "services/common.h"

namespace connswap::app {
namespace {

void print_line(const std::string& line) {
  std::printf("%s\n", line.c_str());
}

void print_json(const google::protobuf::Message& message) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  std::printf("%s", out.c_str());
}

// One unary MGMT call; prints the response with `print` (or as JSON).
template <class Req, class Resp>
int call(const CtlArgs& args,
         std::string_view method,
         const Req& request,
         const std::function<void(const Resp&)>& print) {
  const bool present_cert = !args.tls.cert.empty();
  auto tls = make_client_tls(args.tls, present_cert);
  if (!tls) {
    return fail(Role::kCtl, kExitUsage, "TLS: " + tls.error().message());
  }
  auto remote = Address::parse(args.director);
  if (!remote) {
    return fail(Role::kCtl, kExitUsage, "--director: " + remote.error().detail);
  }
  net::Loop loop;
  rpcnet::ChannelOptions options;
  options.remote = *remote;
  options.quic.tls = *tls;
  options.quic.server_name = args.server_name;
  auto channel = rpcnet::Channel::connect(loop, std::move(options));
  if (!channel) {
    return fail(
        Role::kCtl, kExitRuntime, "connect " + args.director + ": " + channel.error().message());
  }
  std::optional<rpc::UnaryResult<Resp>> result;
  rpc::CallOptions call_options;
  call_options.method = std::string(method);
  call_options.deadline = loop.refresh_now() + args.timeout;
  auto started = (*channel)->template call_unary<Req, Resp>(
      call_options, request, [&](rpc::UnaryResult<Resp> r) { result = std::move(r); });
  if (!started) {
    return fail(Role::kCtl, kExitRuntime, started.error().message());
  }
  (void)loop.run_until([&] { return result.has_value(); }, args.timeout + kSecond);
  (*channel)->close();
  if (!result) {
    return fail(Role::kCtl, kExitRuntime, "no answer from " + args.director);
  }
  if (!*result) {
    return fail(Role::kCtl, kExitRuntime, result->error().to_string());
  }
  if (args.json) {
    print_json(**result);
  } else {
    print(**result);
  }
  std::fflush(stdout);
  return 0;
}

void print_sessions(const v1::ListSessionsResponse& r) {
  for (const v1::SessionInfo& s : r.sessions()) {
    print_line(fmt::format(
        "session connection.id={} open={} age_ms={} idle_ms={} streams_opened={} completed={} "
        "failed={} aborted={} tokens={} migrations={} resume_tokens={}",
        s.connection_id(),
        s.connection_open(),
        s.age_ms(),
        s.idle_ms(),
        s.streams_opened(),
        s.streams_completed(),
        s.streams_failed(),
        s.streams_aborted(),
        s.tokens(),
        s.migrations(),
        s.resume_tokens()));
    for (const v1::StreamInfo& st : s.streams()) {
      print_line(fmt::format(
          "  stream connection.id={} stream.id={} worker={} state={} tokens={} migrations={} "
          "age_ms={} idle_ms={}",
          s.connection_id(),
          st.stream_id(),
          st.worker().empty() ? "-" : st.worker(),
          st.state(),
          st.tokens(),
          st.migrations(),
          st.age_ms(),
          st.idle_ms()));
      for (const std::string& h : st.history()) {
        print_line("    history " + h);
      }
    }
  }
  print_line(fmt::format("sessions shown={} total={}", r.sessions_size(), r.total()));
}

}  // namespace

int run_drain(const CtlArgs& args) {
  v1::DrainWorkerRequest request;
  request.set_worker(args.worker);
  return call<v1::DrainWorkerRequest, v1::DrainWorkerResponse>(
      args, services::kMigrationDrainWorker, request, [&](const v1::DrainWorkerResponse& r) {
        print_line(
            fmt::format("drain worker={} streams_moving={}", args.worker, r.streams_moving()));
      });
}

int run_move(const CtlArgs& args) {
  v1::MoveStreamRequest request;
  if (args.stream_id) {
    request.mutable_stream()->set_connection_id(args.connection_id);
    request.mutable_stream()->set_stream_id(*args.stream_id);
  } else {
    request.set_connection_id(args.connection_id);
  }
  request.set_to_worker(args.worker);
  return call<v1::MoveStreamRequest, v1::MoveStreamResponse>(
      args, services::kMigrationMoveStream, request, [&](const v1::MoveStreamResponse& r) {
        for (const v1::StreamSelector& s : r.moving()) {
          print_line(fmt::format("moving connection.id={} stream.id={} to_worker={}",
                                 s.connection_id(),
                                 s.stream_id(),
                                 args.worker.empty() ? "any" : args.worker));
        }
        print_line(fmt::format("move streams_moving={}", r.moving_size()));
      });
}

int run_sessions(const CtlArgs& args) {
  v1::ListSessionsRequest request;
  request.set_connection_id(args.connection_id);
  request.set_limit(args.limit);
  return call<v1::ListSessionsRequest, v1::ListSessionsResponse>(
      args, services::kMigrationListSessions, request, print_sessions);
}

}  // namespace connswap::app
