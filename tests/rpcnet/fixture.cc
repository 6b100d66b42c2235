#include "fixture.h"

#include "quic/packet.h"

namespace connswap::rpcnet::testing {

std::shared_ptr<const quic::TlsContext> server_tls(const connswap::testing::TestPki& pki,
                                                   bool mtls) {
  quic::ServerTlsOptions options;
  options.cert_file = pki.server_cert.string();
  options.key_file = pki.server_key.string();
  if (mtls) {
    options.client_ca_file = pki.ca_cert.string();
  }
  auto tls = quic::TlsContext::make_server(options);
  EXPECT_TRUE(tls) << (tls ? "" : tls.error().message());
  return tls ? *tls : nullptr;
}

std::shared_ptr<const quic::TlsContext> client_tls(const connswap::testing::TestPki& pki,
                                                   bool with_cert) {
  quic::ClientTlsOptions options;
  options.ca_file = pki.ca_cert.string();
  if (with_cert) {
    options.cert_file = pki.client_cert.string();
    options.key_file = pki.client_key.string();
  }
  auto tls = quic::TlsContext::make_client(options);
  EXPECT_TRUE(tls) << (tls ? "" : tls.error().message());
  return tls ? *tls : nullptr;
}

RpcNetTest::RpcNetTest() {
  rpc::testing::add_echo_service(registry_, parked_);
}

RpcNetTest::~RpcNetTest() {
  channel_.reset();
  server_.reset();
}

ServerOptions RpcNetTest::server_options(bool mtls) const {
  ServerOptions o;
  o.listen = Address::loopback_v4(0);
  o.quic.tls = server_tls(pki_, mtls);
  o.quic.static_secret = quic::derive_static_secret(as_bytes("rpcnet test"));
  return o;
}

ChannelOptions RpcNetTest::channel_options(const Address& remote, bool with_cert) const {
  ChannelOptions o;
  o.remote = remote;
  o.quic.tls = client_tls(pki_, with_cert);
  o.quic.server_name = "localhost";
  return o;
}

void RpcNetTest::start(ServerOptions server, ChannelOptions channel) {
  auto s = Server::listen(loop_, std::move(server), registry_);
  ASSERT_TRUE(s) << s.error().message();
  server_ = std::move(*s);
  channel.remote = server_->local_address();
  auto c = Channel::connect(loop_, std::move(channel));
  ASSERT_TRUE(c) << c.error().message();
  channel_ = std::move(*c);
}

bool RpcNetTest::wait(const std::function<bool()>& done) {
  const bool ok = loop_.run_until(done, kBudget);
  EXPECT_TRUE(ok) << "condition not reached within the budget";
  return ok;
}

rpc::CallOptions RpcNetTest::options(std::string method, Timestamp deadline) const {
  rpc::CallOptions o;
  o.method = std::move(method);
  o.deadline = deadline;
  return o;
}

std::shared_ptr<ClientRecord> RpcNetTest::start_call(const std::string& method,
                                                     EchoClientCall* call_out,
                                                     Timestamp deadline) {
  auto record = std::make_shared<ClientRecord>();
  rpc::ClientCallbacks<EchoResponse> cb;
  cb.on_message = [record](EchoResponse&& r) { record->responses.push_back(std::move(r)); };
  cb.on_done = [record](const rpc::Status& s) {
    EXPECT_FALSE(record->status) << "on_done ran twice";
    record->status = s;
  };
  cb.on_writable = [record] { ++record->writable; };
  auto call =
      channel_->start_call<EchoRequest, EchoResponse>(options(method, deadline), std::move(cb));
  EXPECT_TRUE(call) << call.error().message();
  if (call && call_out != nullptr) {
    *call_out = *call;
  }
  return record;
}

std::shared_ptr<ClientRecord> RpcNetTest::unary(const std::string& method,
                                                const EchoRequest& request,
                                                Timestamp deadline,
                                                Channel* channel) {
  auto record = std::make_shared<ClientRecord>();
  Channel& ch = channel != nullptr ? *channel : *channel_;
  auto call = rpc::call_unary<EchoRequest, EchoResponse>(
      ch.session(),
      options(method, deadline),
      request,
      [record](rpc::UnaryResult<EchoResponse> r) {
        EXPECT_FALSE(record->status) << "done ran twice";
        if (r) {
          record->responses.push_back(*r);
          record->status = rpc::Status{};
        } else {
          record->status = r.error();
        }
      },
      loop_.now());
  EXPECT_TRUE(call) << call.error().message();
  return record;
}

}  // namespace connswap::rpcnet::testing
