#pragma once
// The director's OpenAI-compatible HTTP front (--http-addr): a net::TcpListener whose every
// connection runs a front::HttpSession against the DirectorService, on the director's loop.

#include <memory>
#include <string>

#include "base/address.h"
#include "base/error.h"
#include "common/http_options.h"
#include "director/status_source.h"
#include "front/http_session.h"
#include "front/tls_stream.h"
#include "net/loop.h"
#include "net/tcp.h"
#include "services/director_service.h"

namespace connswap::app {

class HttpFront {
 public:
  // Listens on args.addr. kInvalidArgument for a bad address, kIo if it cannot bind.
  // `tls_credentials` (a gnutls_certificate_credentials_t, outliving the front): HTTPS with
  // that certificate (--http-tls); nullptr: plain HTTP.
  static Result<std::unique_ptr<HttpFront>> start(net::Loop& loop,
                                                  services::DirectorService& service,
                                                  const HttpArgs& args,
                                                  void* tls_credentials = nullptr);
  ~HttpFront();
  HttpFront(const HttpFront&) = delete;
  HttpFront& operator=(const HttpFront&) = delete;

  const Address& local() const { return listener_->local(); }
  const front::HttpFrontStats& stats() const { return stats_; }
  std::size_t connections() const { return listener_->connections(); }
  std::uint64_t accepted() const { return listener_->accepted(); }
  std::uint64_t refused() const { return listener_->refused(); }
  // Stops accepting and closes every connection (their streams are cancelled).
  void stop();

  class Backend;  // front::Backend over the DirectorService

 private:
  HttpFront(net::Loop& loop, services::DirectorService& service, const HttpArgs& args);

  net::Loop& loop_;
  HttpArgs args_;
  std::unique_ptr<Backend> backend_;
  std::string instance_;  // random, in every connection id ("http-<instance>-<n>")
  void* tls_credentials_ = nullptr;
  front::HttpFrontStats stats_;
  std::unique_ptr<DirectorStatusSource> status_;  // --http-status on; before the listener
  std::unique_ptr<net::TcpListener> listener_;
};

}  // namespace connswap::app
