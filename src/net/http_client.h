#pragma once
// An HTTP client on the Loop: libcurl's multi interface, its sockets watched by asio and
// its timeout on one asio timer. Implements http::Fetcher for the sans-IO roles (the worker's
// model-server token source). One multi handle keeps a connection cache, so sequential
// requests to one server reuse a kept-alive connection. Events are delivered from loop
// handlers after curl returned, never from inside curl or from start()/cancel(), so an event
// may call start() or cancel() on any request, or even destroy the client.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "base/error.h"
#include "http/fetch.h"
#include "net/loop.h"

namespace connswap::net {

struct HttpClientLimits {
  std::size_t max_transfers = 1024;        // requests at once; start() over it: kResourceExhausted
  std::uint32_t max_host_connections = 0;  // per host:port, more requests wait; 0 = no limit
  // Response head (all lines, and trailers): more is kTooLarge. curl's own limits come first
  // above it: a line over 100 KiB is kTooLarge too, a head over 300 KiB is kProtocol.
  std::size_t max_header_bytes = std::size_t{64} * 1024;
  bool proxy_from_environment = false;  // honour http_proxy & co.; off: always connect directly
};

inline constexpr std::size_t kFetchErrorKinds = 7;  // http::FetchError's values

// Counters for metrics; all only grow.
struct HttpClientStats {
  std::uint64_t started = 0;    // start() calls that returned an id
  std::uint64_t completed = 0;  // on_done(nullopt): a whole response arrived (any status)
  std::uint64_t cancelled = 0;  // cancel() of a running request
  std::array<std::uint64_t, kFetchErrorKinds> failed{};  // on_done(error), by FetchError
  std::uint64_t connects = 0;  // sockets opened for new connections (reuse opens none)
  std::uint64_t failed_total() const;
};

class HttpClient final : public http::Fetcher {
 public:
  // Aborts if libcurl cannot be initialised (out of memory only).
  HttpClient(Loop& loop, const HttpClientLimits& limits);
  explicit HttpClient(Loop& loop) : HttpClient(loop, HttpClientLimits{}) {}
  // Aborts every request without an event and closes every connection. May be called from
  // inside one of this client's events.
  ~HttpClient() override;
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // http::Fetcher. start() also refuses (kInvalidArgument) a header line with CR or LF.
  // A POST without a Content-Type header gets curl's form type: pass the real one.
  Result<http::FetchId> start(http::FetchRequest request, http::FetchEvents events) override;
  void cancel(http::FetchId id) override;

  const HttpClientStats& stats() const;
  std::size_t active() const;  // requests started and not finished or cancelled

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace connswap::net
