#pragma once
// What an HTTP session needs from the world, as two small interfaces so that src/front stays
// sans-IO: the connection it runs on (apps/director implements it over net::TcpConn) and
// the director it hands streams to (over services::DirectorService).

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <connswap/v1/director.pb.h>

#include "base/peer_roles.h"
#include "base/time.h"
#include "services/client_sink.h"

namespace connswap::front {

class StatusSource;

// One client connection. Every call is a request; effects happen later on the loop.
class Transport {
 public:
  virtual ~Transport() = default;
  virtual void write(std::string_view bytes) = 0;  // queued behind earlier writes
  virtual std::size_t queued() const = 0;          // bytes not yet handed to the kernel
  virtual void set_reading(bool on) = 0;           // false: leave the peer's bytes unread
  virtual void close() = 0;                        // after everything queued is sent
  virtual void set_deadline(Timestamp at) = 0;     // the session's on_deadline() then; 0 = none
  // Runs `fn` on the loop after the current event (never inline).
  virtual void defer(std::function<void()> fn) = 0;
  virtual Timestamp now() const = 0;  // the loop's time of the current event
  // The roles of the client's verified TLS certificate (--http-tls with client
  // certificates asked); none for plain HTTP or a client that sent no certificate.
  virtual RoleSet peer_roles() const { return {}; }
};

// The director, as the HTTP front sees it.
class Backend {
 public:
  virtual ~Backend() = default;
  // DirectorService::open_stream: the stream's items go to `sink` (maybe at once).
  virtual void open_stream(std::unique_ptr<services::ClientSink> sink,
                           std::string connection_id,
                           const v1::GenerateRequest& request) = 0;
  virtual bool ready() const = 0;                       // at least one worker takes streams
  virtual std::vector<std::string> models() const = 0;  // what the workers serve
  virtual std::int64_t unix_now() const = 0;            // wall clock, for `created`
  // DirectorService::max_request_bytes(): larger Generate requests are refused (413).
  virtual std::size_t max_request_bytes() const = 0;
  // The status page's data (GET /, /status, /debug/*); nullptr: those routes are 404.
  virtual StatusSource* status() { return nullptr; }
};

}  // namespace connswap::front
