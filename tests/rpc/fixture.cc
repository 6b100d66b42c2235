#include "fixture.h"

namespace connswap::rpc::testing {
namespace {

// Server streaming with backpressure: writes `repeat` responses, waiting for on_writable
// whenever the send queue is full, then finishes OK.
struct Streamer : std::enable_shared_from_this<Streamer> {
  EchoCall call;
  EchoRequest request;
  std::uint32_t next = 0;

  void pump() {
    while (next < request.repeat()) {
      EchoResponse r;
      r.set_text(request.text());
      r.set_index(next);
      r.set_payload(request.text().starts_with("big:") ? std::string(2000, 'b')
                                                       : request.payload());
      auto sent = call.write(r);
      if (!sent) {
        if (sent.error().code == Errc::kFlowControl) {
          call.on_writable([self = shared_from_this()] { self->pump(); });
        }
        return;
      }
      ++next;
    }
    (void)call.finish({});
  }
};

void park(std::vector<std::shared_ptr<Parked>>& parked, EchoCall call, bool paused) {
  auto p = std::make_shared<Parked>(Parked{call, std::nullopt, call.raw().header()});
  std::weak_ptr<Parked> weak = p;
  call.on_done([weak](const Status& s) {
    if (auto q = weak.lock()) {
      q->status = s;
    }
  });
  if (paused) {
    call.raw().pause_reading();
  }
  call.on_read([](std::optional<EchoRequest>) {});
  parked.push_back(p);
}

}  // namespace

void add_echo_service(Registry& registry, std::vector<std::shared_ptr<Parked>>& parked) {
  using Req = EchoRequest;
  using Resp = EchoResponse;
  EXPECT_TRUE((registry.add_unary<Req, Resp>("test.Echo/Unary", [](EchoCall call, Req req) {
    Resp r;
    r.set_text(req.text());
    (void)call.reply(r);
  })));
  EXPECT_TRUE((registry.add_server_streaming<Req, Resp>("test.Echo/ServerStream",
                                                        [](EchoCall call, Req req) {
                                                          auto s = std::make_shared<Streamer>();
                                                          s->call = call;
                                                          s->request = std::move(req);
                                                          s->pump();
                                                        })));
  EXPECT_TRUE(
      (registry.add_client_streaming<Req, Resp>("test.Echo/ClientStream", [](EchoCall call) {
        call.on_read([call, all = std::string(), n = 0u](std::optional<Req> req) mutable {
          if (req) {
            all += req->text();
            ++n;
            return;
          }
          Resp r;
          r.set_text(all);
          r.set_index(n);
          (void)call.reply(r);
        });
      })));
  EXPECT_TRUE((registry.add_bidi<Req, Resp>("test.Echo/Bidi", [](EchoCall call) {
    call.on_read([call, n = 0u](std::optional<Req> req) mutable {
      if (!req) {
        (void)call.finish({});
        return;
      }
      Resp r;
      r.set_text(req->text());
      r.set_index(n++);
      (void)call.write(r);
    });
  })));
  EXPECT_TRUE((registry.add_bidi<Req, Resp>(
      "test.Echo/Park", [&parked](EchoCall call) { park(parked, call, false); })));
  EXPECT_TRUE((registry.add_bidi<Req, Resp>(
      "test.Echo/ParkPaused", [&parked](EchoCall call) { park(parked, call, true); })));
  // Answers every request with bytes that are not an EchoResponse.
  EXPECT_TRUE(registry.add("test.Echo/Raw", CallShape::kBidi, [](Call call) {
    call.on_read([call](std::optional<ByteSpan> bytes) mutable {
      if (bytes) {
        const Bytes garbage = {0xff, 0xff, 0xff};
        (void)call.write(garbage);
      }
      return true;
    });
  }));
}

RpcTest::RpcTest(LinkConfig link, SessionConfig server_config, SessionConfig client_config)
    : link_config_(link), link_(link) {
  add_echo_service(registry_, parked_);
  client_ = std::make_unique<Session>(link_.transport(kClientSide), nullptr, client_config);
  server_ = std::make_unique<Session>(link_.transport(kServerSide), &registry_, server_config);
  link_.attach(kClientSide, client_.get());
  link_.attach(kServerSide, server_.get());
}

void RpcTest::pump() {
  for (int round = 0; round < 1000; ++round) {
    if (client_ && client_->deadline() <= now_) {
      client_->on_timeout(now_);
    }
    if (server_ && server_->deadline() <= now_) {
      server_->on_timeout(now_);
    }
    if (link_.pump(now_) == 0) {
      return;
    }
  }
  ADD_FAILURE() << "link never went quiet";
}

void RpcTest::advance(Duration d) {
  now_ += d;
  pump();
}

CallOptions RpcTest::options(std::string method, Timestamp deadline) const {
  CallOptions o;
  o.method = std::move(method);
  o.deadline = deadline;
  return o;
}

std::shared_ptr<ClientRecord> RpcTest::start(const std::string& method,
                                             ClientCall<EchoRequest, EchoResponse>* call_out,
                                             Timestamp deadline) {
  auto record = std::make_shared<ClientRecord>();
  ClientCallbacks<EchoResponse> cb;
  cb.on_message = [record](EchoResponse&& r) { record->responses.push_back(std::move(r)); };
  cb.on_done = [record](const Status& s) {
    EXPECT_FALSE(record->status) << "on_done ran twice";
    record->status = s;
  };
  cb.on_writable = [record] { ++record->writable; };
  auto call = start_call<EchoRequest, EchoResponse>(
      *client_, options(method, deadline), std::move(cb), now_);
  EXPECT_TRUE(call) << call.error().message();
  if (call && call_out) {
    *call_out = *call;
  }
  return record;
}

std::shared_ptr<ClientRecord> RpcTest::unary(const std::string& method,
                                             const EchoRequest& request,
                                             Timestamp deadline) {
  auto record = std::make_shared<ClientRecord>();
  auto call = call_unary<EchoRequest, EchoResponse>(
      *client_,
      options(method, deadline),
      request,
      [record](UnaryResult<EchoResponse> r) {
        EXPECT_FALSE(record->status) << "done ran twice";
        if (r) {
          record->responses.push_back(*r);
          record->status = Status{};
        } else {
          record->status = r.error();
        }
      },
      now_);
  EXPECT_TRUE(call) << call.error().message();
  return record;
}

StreamId RpcTest::raw_stream(const Bytes& bytes, bool fin) {
  auto id = link_.transport(kClientSide).open_stream();
  EXPECT_TRUE(id);
  EXPECT_TRUE(link_.transport(kClientSide).send(*id, bytes, fin));
  return *id;
}

std::optional<Status> RpcTest::raw_trailer(StreamId id) const {
  const auto* d = link_.direction(id, kServerSide);
  if (d == nullptr) {
    return std::nullopt;
  }
  wire::FrameDecoder decoder;
  decoder.push(d->received);
  std::optional<Status> status;
  while (true) {
    auto f = decoder.next();
    if (!f || !*f) {
      break;
    }
    if ((*f)->kind == wire::FrameKind::kTrailer) {
      auto t = wire::decode_trailer((*f)->body);
      EXPECT_TRUE(t);
      status = Status{status_code_from_wire(t->code), t->message};
    }
  }
  return status;
}

Bytes header_frame(const std::string& method, std::uint64_t timeout_ms) {
  Bytes out;
  wire::CallHeader h;
  h.method = method;
  h.timeout_ms = timeout_ms;
  EXPECT_TRUE(wire::append_header_frame(out, h));
  return out;
}

Bytes message_frame(const Bytes& body) {
  Bytes out;
  wire::append_frame(out, wire::FrameKind::kMessage, body);
  return out;
}

Bytes message_frame(const EchoRequest& request) {
  const std::string s = request.SerializeAsString();
  return message_frame(Bytes(s.begin(), s.end()));
}

}  // namespace connswap::rpc::testing
