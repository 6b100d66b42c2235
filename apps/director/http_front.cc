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
  std::size_t max_request_bytes() const override { return service_.max_request_bytes(); }
  front::StatusSource* status() override { return status_; }
  void set_status(front::StatusSource* status) { status_ = status; }
  std::int64_t unix_now() const override {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

 private:
  services::DirectorService& service_;
  front::StatusSource* status_ = nullptr;  // --http-status off: none
};

namespace {

spdlog::logger& logger() {
  return log::get("http");
}

// One TCP connection: the session's Transport over the TcpConn, and its events to the
// session; with --http-tls a front::TlsStream between the two.
class Connection final : public net::TcpHandler, public front::Transport {
 public:
  Connection(net::Loop& loop,
             net::TcpConn& conn,
             front::Backend& backend,
             const front::HttpFrontConfig& config,
             front::HttpFrontStats& stats,
             std::string connection_id,
             bool tls_on,
             std::unique_ptr<front::TlsStream> tls)
      : loop_(loop),
        conn_(conn),
        stats_(stats),
        tls_on_(tls_on),
        tls_(std::move(tls)),
        session_(*this, backend, config, stats, std::move(connection_id), conn.peer()) {
    session_.start(loop_.now());
  }

  // net::TcpHandler
  void on_data(std::string_view bytes) override {
    if (!tls_on_) {
      session_.on_data(loop_.now(), bytes);
      return;
    }
    if (!tls_) {
      return;  // its TLS session could not be made: closing, nothing is read
    }
    std::string plain;
    auto fed = tls_->feed(bytes, plain);
    flush();
    if (!fed) {
      tls_failed(fed.error());
      return;
    }
    if (!plain.empty()) {
      session_.on_data(loop_.now(), plain);
    }
  }
  void on_drained() override { session_.on_drained(loop_.now()); }
  void on_deadline() override { session_.on_deadline(loop_.now()); }
  void on_closed() override { session_.on_closed(); }

  // front::Transport
  void write(std::string_view bytes) override {
    if (!tls_on_) {
      conn_.write(bytes);
      return;
    }
    if (!tls_) {
      return;
    }
    auto sent = tls_->send(bytes);
    flush();
    if (!sent) {
      tls_failed(sent.error());
    }
  }
  std::size_t queued() const override { return conn_.queued(); }
  void set_reading(bool on) override { conn_.set_reading(on); }
  void close() override {
    if (tls_) {
      tls_->close();
      flush();
    }
    conn_.close();
  }
  void set_deadline(Timestamp at) override { conn_.set_deadline(at); }
  void defer(std::function<void()> fn) override {
    loop_.post([weak = alive_.weak(), fn = std::move(fn)] {
      if (!weak.expired()) {
        fn();
      }
    });
  }
  Timestamp now() const override { return loop_.now(); }
  RoleSet peer_roles() const override { return tls_ ? tls_->peer().roles : RoleSet{}; }

 private:
  void flush() {
    std::string out = tls_->take_output();
    if (!out.empty()) {
      conn_.write(out);
    }
  }
  // A failed handshake or a bad record: the alert (if any) goes out, then the connection
  // closes (its stream, if one runs, is cancelled).
  void tls_failed(const Error& error) {
    ++stats_.tls_failures;
    logger().info("http conn={} peer={} TLS failed: {}", conn_.id(), conn_.peer(), error.detail);
    conn_.close();
  }

  net::Loop& loop_;
  net::TcpConn& conn_;
  front::HttpFrontStats& stats_;
  bool tls_on_;                            // --http-tls
  std::unique_ptr<front::TlsStream> tls_;  // null with tls_on_: could not be made
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
  if (args_.config.status.access != front::StatusAccess::kOff) {
    status_ =
        std::make_unique<DirectorStatusSource>(service, args_.config.status, stats_.status_feed);
    backend_->set_status(status_.get());
  }
}

HttpFront::~HttpFront() {
  stop();
}

Result<std::unique_ptr<HttpFront>> HttpFront::start(net::Loop& loop,
                                                    services::DirectorService& service,
                                                    const HttpArgs& args,
                                                    void* tls_credentials) {
  auto addr = Address::parse(args.addr);
  if (!addr) {
    return make_error(Errc::kInvalidArgument, "--http-addr: " + addr.error().detail);
  }
  std::unique_ptr<HttpFront> front(new HttpFront(loop, service, args));
  front->tls_credentials_ = tls_credentials;
  HttpFront* raw = front.get();
  auto listener = net::TcpListener::open(loop, *addr, args.tcp, [raw](net::TcpConn& conn) {
    std::unique_ptr<front::TlsStream> tls;
    if (raw->tls_credentials_ != nullptr) {
      auto made = front::TlsStream::make_server(
          raw->tls_credentials_, raw->args_.config.status.access == front::StatusAccess::kOperator);
      if (!made) {
        ++raw->stats_.tls_failures;
        logger().warn("http conn={} TLS session: {}", conn.id(), made.error().detail);
        conn.close();
      } else {
        tls = std::move(*made);
      }
    }
    return std::make_unique<Connection>(raw->loop_,
                                        conn,
                                        *raw->backend_,
                                        raw->args_.config,
                                        raw->stats_,
                                        fmt::format("http-{}-{}", raw->instance_, conn.id()),
                                        raw->tls_credentials_ != nullptr,
                                        std::move(tls));
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
