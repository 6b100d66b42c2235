#pragma once
// A client Session and a server Session joined by a FakeLink, an echo service, and helpers
// to drive virtual time and to inject raw bytes on a stream.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <connswap/v1/test.pb.h>
#include <gtest/gtest.h>

#include "rpc/client.h"
#include "rpc/registry.h"
#include "rpc/server.h"
#include "rpc/session.h"
#include "support/fake_link.h"
#include "wire/envelope.h"
#include "wire/frame.h"

namespace connswap::rpc::testing {

using v1::test::EchoRequest;
using v1::test::EchoResponse;
using EchoCall = ServerCall<EchoRequest, EchoResponse>;

inline EchoRequest make_request(std::string text,
                                std::uint32_t repeat = 0,
                                std::size_t payload = 0) {
  EchoRequest r;
  r.set_text(std::move(text));
  r.set_repeat(repeat);
  r.set_payload(std::string(payload, 'p'));
  return r;
}

// What a client call saw.
struct ClientRecord {
  std::vector<EchoResponse> responses;
  std::optional<Status> status;
  int writable = 0;
};

// Server calls parked by the "Park" methods, to be answered or cancelled by the test.
struct Parked {
  EchoCall call;
  std::optional<Status> status;  // the server side's on_done
  wire::CallHeader header;
};

// Registers test.Echo/{Unary,ServerStream,ClientStream,Bidi,Park,ParkPaused,Raw}.
void add_echo_service(Registry& registry, std::vector<std::shared_ptr<Parked>>& parked);

class RpcTest : public ::testing::Test {
 protected:
  explicit RpcTest(LinkConfig link = {},
                   SessionConfig server_config = {},
                   SessionConfig client_config = {});

  // Delivers everything; fires due deadlines on both sides first.
  void pump();
  void advance(Duration d);

  CallOptions options(std::string method, Timestamp deadline = kNever) const;
  // Starts a typed echo call whose events land in the returned record.
  std::shared_ptr<ClientRecord> start(const std::string& method,
                                      ClientCall<EchoRequest, EchoResponse>* call_out,
                                      Timestamp deadline = kNever);
  std::shared_ptr<ClientRecord> unary(const std::string& method,
                                      const EchoRequest& request,
                                      Timestamp deadline = kNever);

  // Opens a stream with the client transport directly (bypassing the client Session),
  // sends `bytes`, and returns the id; the server's answer is in link_.direction().
  StreamId raw_stream(const Bytes& bytes, bool fin);
  // The status trailer the server sent on a raw stream, if any.
  std::optional<Status> raw_trailer(StreamId id) const;

  LinkConfig link_config_;
  FakeLink link_;
  Registry registry_;
  std::vector<std::shared_ptr<Parked>> parked_;
  Timestamp now_ = 1000 * kSecond;
  std::unique_ptr<Session> client_;
  std::unique_ptr<Session> server_;
};

// Frames for raw streams.
Bytes header_frame(const std::string& method, std::uint64_t timeout_ms = 0);
Bytes message_frame(const Bytes& body);
Bytes message_frame(const EchoRequest& request);

}  // namespace connswap::rpc::testing
