#include "director/http_front.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <set>

#include <fmt/format.h>

#include "base/alive.h"
#include "base/log.h"

namespace connswap::app {

class HttpFront::Backend final : public front::Backend {
 public:
  explicit Backend(services::DirectorService& service) : service_(service) {}

  void open_stream(std::unique_ptr<services::ClientSink> sink,
                   std::string connection_id,
                   const v1::GenerateRequest& request) override {
    service_.open_stream(std::move(sink), std::move(connection_id), request);
  }
  bool ready() const override { return service_.stats().workers.active > 0; }
  std::vector<std::string> models() const override { return service_.models(); }
  std::int64_t unix_now() const override {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

 private:
  services::DirectorService& service_;
};

namespace {

// One TCP connection: the session's Transport over the TcpConn, and its events to the
// session.
class Connection final : public net::TcpHandler, public front::Transport {
 public:
  Connection(net::Loop& loop,
             net::TcpConn& conn,
             front::Backend& backend,
             const front::HttpFrontConfig& config,
             front::HttpFrontStats& stats,
             std::string connection_id)
      : loop_(loop),
        conn_(conn),
        session_(*this, backend, config, stats, std::move(connection_id), conn.peer()) {
    session_.start(loop_.now());
  }

  // net::TcpHandler
  void on_data(std::string_view bytes) override { session_.on_data(loop_.now(), bytes); }
  void on_drained() override { session_.on_drained(loop_.now()); }
  void on_deadline() override { session_.on_deadline(loop_.now()); }
  void on_closed() override { session_.on_closed(); }

  // front::Transport
  void write(std::string_view bytes) override { conn_.write(bytes); }
  std::size_t queued() const override { return conn_.queued(); }
  void set_reading(bool on) override { conn_.set_reading(on); }
  void close() override { conn_.close(); }
  void set_deadline(Timestamp at) override { conn_.set_deadline(at); }
  void defer(std::function<void()> fn) override {
    loop_.post([weak = alive_.weak(), fn = std::move(fn)] {
      if (!weak.expired()) {
        fn();
      }
    });
  }
  Timestamp now() const override { return loop_.now(); }

 private:
  net::Loop& loop_;
  net::TcpConn& conn_;
  front::HttpSession session_;
  Alive alive_;
};

}  // namespace

HttpFront::HttpFront(net::Loop& loop, services::DirectorService& service, const HttpArgs& args)
    : loop_(loop),
      args_(args),
      backend_(std::make_unique<Backend>(service)),
      // Connection ids name streams beyond this process (chunk ids, resume tokens, another
      // director's session book after a resume): unique per director instance.
      instance_(fmt::format("{:08x}", std::random_device{}())) {
  // --http-max-body-bytes is the one body limit: the JSON decoder's own check (defence in
  // depth, 1 MiB by default) must not refuse what the HTTP parser let through.
  args_.config.decode.max_body_bytes = args_.config.limits.max_body_bytes;
  // An event id comes back as a Last-Event-ID header, which must fit the header limit.
  std::size_t& id_bytes = args_.config.completion.max_event_id_bytes;
  const std::size_t header_bytes = args_.config.limits.max_header_bytes;
  id_bytes = std::min(id_bytes, header_bytes > 1024 ? header_bytes - 1024 : 0);
}

HttpFront::~HttpFront() {
  stop();
}

Result<std::unique_ptr<HttpFront>> HttpFront::start(net::Loop& loop,
                                                    services::DirectorService& service,
                                                    const HttpArgs& args) {
  auto addr = Address::parse(args.addr);
  if (!addr) {
    return make_error(Errc::kInvalidArgument, "--http-addr: " + addr.error().detail);
  }
  std::unique_ptr<HttpFront> front(new HttpFront(loop, service, args));
  HttpFront* raw = front.get();
  auto listener = net::TcpListener::open(loop, *addr, args.tcp, [raw](net::TcpConn& conn) {
    return std::make_unique<Connection>(raw->loop_,
                                        conn,
                                        *raw->backend_,
                                        raw->args_.config,
                                        raw->stats_,
                                        fmt::format("http-{}-{}", raw->instance_, conn.id()));
  });
  if (!listener) {
    return make_error(listener.error().code, "--http-addr: " + listener.error().detail);
  }
  front->listener_ = std::move(*listener);
  return front;
}

void HttpFront::stop() {
  if (listener_) {
    listener_->close();
  }
}

}  // namespace connswap::app
