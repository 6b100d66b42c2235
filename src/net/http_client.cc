#include "net/http_client.h"

#include <chrono>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <asio.hpp>
#include <curl/curl.h>
#include <poll.h>
#include <sys/socket.h>

#include "base/alive.h"
#include "base/check.h"
#include "base/log.h"

namespace connswap::net {
namespace {

using http::FetchError;
using http::FetchId;

spdlog::logger& logger() {
  return log::get("net");
}

// curl_global_init is not thread-safe; a function-local static is. curl_global_cleanup is
// never called: clients on other threads may still run, and process exit frees its state.
void init_curl_once() {
  static const CURLcode kInitResult = curl_global_init(CURL_GLOBAL_DEFAULT);
  CONNSWAP_CHECK(kInitResult == CURLE_OK, "curl_global_init failed");
}

// See tcp.cc: a timer's cancel() cannot fail on the epoll reactor, but may not throw here.
void cancel_quietly(asio::steady_timer& timer) noexcept {
  try {
    timer.cancel();
  } catch (...) {  // NOLINT(bugprone-empty-catch): see above
  }
}

// Rounded up: a timeout of 1 ns must not become curl's 0 ("no timeout").
long to_ms(Duration d) {
  return static_cast<long>((d + kMillisecond - 1) / kMillisecond);
}

// What finish_done() knows about a failed transfer besides curl's code.
struct Failure {
  bool request_sent = false;  // CURLINFO_REQUEST_SIZE > 0
  bool too_large = false;     // our header limit stopped it
  long os_errno = 0;          // CURLINFO_OS_ERRNO: set only when a socket call failed
};

// Typed mapping of curl's result; never by message text. An "unsupported protocol" after the
// request left is the server's reply (HTTP/0.9 or a bad version line), not the URL's scheme.
// A receive error without a socket errno is curl's own parser refusing the bytes (a bad chunk
// size), so the peer broke the protocol; with one (ECONNRESET...) the connection broke.
FetchError error_for(CURLcode code, const Failure& f) {
  if (f.too_large) {
    return FetchError::kTooLarge;
  }
  switch (code) {
    case CURLE_COULDNT_CONNECT:
      return FetchError::kRefused;
    case CURLE_RECV_ERROR:
      return f.os_errno == 0 ? FetchError::kProtocol : FetchError::kReset;
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:  // Content-Length short, chunked body cut: never a clean end
    case CURLE_GOT_NOTHING:
      return FetchError::kReset;
    case CURLE_OPERATION_TIMEDOUT:
      return FetchError::kTimeout;
    case CURLE_UNSUPPORTED_PROTOCOL:
      return f.request_sent ? FetchError::kProtocol : FetchError::kResolve;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_URL_MALFORMAT:
      return FetchError::kResolve;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_HTTP3:
    case CURLE_RANGE_ERROR:
    case CURLE_TOO_MANY_REDIRECTS:
    case CURLE_SSL_CONNECT_ERROR:  // TLS: the peer did not speak what we expect either
    case CURLE_PEER_FAILED_VERIFICATION:
      return FetchError::kProtocol;
    case CURLE_FILESIZE_EXCEEDED:
    // curl 7.88 refuses a response head line over 100 KiB with "out of memory" (a real
    // allocation failure is not worth telling apart: it is the peer's doing in practice).
    case CURLE_OUT_OF_MEMORY:
      return FetchError::kTooLarge;
    default:
      return FetchError::kInternal;
  }
}

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) {
    return false;
  }
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    const char c = (s[i] >= 'A' && s[i] <= 'Z') ? static_cast<char>(s[i] - 'A' + 'a') : s[i];
    if (c != prefix[i]) {
      return false;
    }
  }
  return true;
}

// Which of the wanted directions (CURL_POLL_IN/OUT bits) are ready now, as CURL_CSELECT bits.
int ready_now(curl_socket_t fd, int wanted) {
  pollfd p{fd, 0, 0};
  p.events = static_cast<short>(((wanted & CURL_POLL_IN) != 0 ? POLLIN : 0) |
                                ((wanted & CURL_POLL_OUT) != 0 ? POLLOUT : 0));
  if (p.events == 0 || ::poll(&p, 1, 0) <= 0) {
    return 0;
  }
  const bool broken = (p.revents & (POLLERR | POLLHUP)) != 0;
  int bits = 0;
  if ((p.revents & POLLIN) != 0 || (broken && (wanted & CURL_POLL_IN) != 0)) {
    bits |= CURL_CSELECT_IN;
  }
  if ((p.revents & POLLOUT) != 0 || (broken && (wanted & CURL_POLL_OUT) != 0)) {
    bits |= CURL_CSELECT_OUT;
  }
  return bits;
}

}  // namespace

std::uint64_t HttpClientStats::failed_total() const {
  std::uint64_t total = 0;
  for (const std::uint64_t n : failed) {
    total += n;
  }
  return total;
}

struct HttpClient::State {
  // One request: its easy handle and what curl handed over but the events did not see yet.
  struct Transfer {
    ~Transfer() { curl_slist_free_all(headers); }
    State* state = nullptr;
    FetchId id = 0;
    CURL* easy = nullptr;  // null once detached from the multi handle
    curl_slist* headers = nullptr;
    std::string body;  // CURLOPT_POSTFIELDS points here
    http::FetchEvents events;
    std::string pending_body;  // received in this socket_action, delivered after it
    std::size_t header_bytes = 0;
    long status = 0;
    bool status_seen = false;     // the final status line arrived (1xx skipped)
    bool status_pending = false;  // ...and on_status did not see it yet
    bool too_large = false;
    bool dirty = false;  // listed in State::dirty
    bool cancelled = false;
    char error_text[CURL_ERROR_SIZE] = {};  // for the debug log only
  };

  // One socket curl asked us to watch. The descriptor is released, never closed: the fd is curl's.
  struct Watch {
    Watch(asio::io_context& io, curl_socket_t socket, std::uint64_t number)
        : descriptor(io), fd(socket), serial(number) {}
    ~Watch() { descriptor.release(); }
    Watch(const Watch&) = delete;
    Watch& operator=(const Watch&) = delete;
    asio::posix::stream_descriptor descriptor;
    curl_socket_t fd;
    std::uint64_t serial;  // tells a watch apart from an older one on the same fd number
    int want = 0;          // CURL_POLL_IN/OUT
    bool reading = false;  // an async_wait for reading is queued
    bool writing = false;
  };

  State(Loop& l, const HttpClientLimits& lim);
  ~State();
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  Result<FetchId> start(http::FetchRequest&& request, http::FetchEvents&& events);
  bool configure(Transfer& t, const http::FetchRequest& request);
  void cancel(FetchId id);

  // curl callbacks: they only record; events are delivered after curl returned.
  static int on_socket(CURL* easy, curl_socket_t fd, int what, void* userp, void* socketp);
  static int on_timer(CURLM* multi, long timeout_ms, void* userp);
  static std::size_t on_write(char* data, std::size_t size, std::size_t n, void* userp);
  static std::size_t on_header(char* data, std::size_t size, std::size_t n, void* userp);
  static curl_socket_t on_open(void* userp, curlsocktype purpose, curl_sockaddr* addr);

  void watch(curl_socket_t fd, int what, void* socketp);
  Watch* find_watch(curl_socket_t fd, std::uint64_t serial);
  void arm(Watch& w, int fresh);
  void wait(Watch& w, bool read);
  void kick(curl_socket_t fd, std::uint64_t serial, int bits);
  void drive(curl_socket_t fd, int bits);  // socket_action, then events: may destroy *this
  bool deliver();                          // false: an event destroyed the client
  bool deliver_pending(Transfer& t);
  bool finish_done();
  void mark(Transfer& t);
  void detach(Transfer& t);
  void bury(std::unique_ptr<Transfer> t);

  Loop& loop;
  HttpClientLimits limits;
  CURLM* multi = nullptr;
  asio::steady_timer timer;
  std::uint64_t timer_generation = 0;
  std::unordered_map<FetchId, std::unique_ptr<Transfer>> transfers;
  std::unordered_map<curl_socket_t, std::unique_ptr<Watch>> watches;
  std::vector<FetchId> dirty;                        // transfers with undelivered status or body
  std::vector<std::unique_ptr<Transfer>> graveyard;  // cancelled; an event may be running
  bool reap_posted = false;
  HttpClientStats stats;
  FetchId next_id = 1;
  std::uint64_t next_serial = 1;
  Alive alive;
};

HttpClient::State::State(Loop& l, const HttpClientLimits& lim)
    : loop(l), limits(lim), timer(l.context()) {
  init_curl_once();
  multi = curl_multi_init();
  CONNSWAP_CHECK(multi != nullptr, "curl_multi_init failed");
  curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, &State::on_socket);
  curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, &State::on_timer);
  curl_multi_setopt(multi, CURLMOPT_TIMERDATA, this);
  curl_multi_setopt(
      multi, CURLMOPT_MAX_HOST_CONNECTIONS, static_cast<long>(lim.max_host_connections));
}

HttpClient::State::~State() {
  // An event of one of these transfers may be on the stack (the client destroyed from inside
  // it), so the transfers, which own the events, are freed after this turn.
  auto doomed = std::make_shared<std::vector<std::unique_ptr<Transfer>>>(std::move(graveyard));
  for (auto& [id, t] : transfers) {
    detach(*t);
    doomed->push_back(std::move(t));
  }
  transfers.clear();
  watches.clear();  // released: curl closes its sockets itself, below
  curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, nullptr);
  curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, nullptr);
  curl_multi_cleanup(multi);
  cancel_quietly(timer);
  if (!doomed->empty()) {
    loop.post([doomed] { doomed->clear(); });
  }
}

Result<FetchId> HttpClient::State::start(http::FetchRequest&& request, http::FetchEvents&& events) {
  if (request.url.empty()) {
    return make_error(Errc::kInvalidArgument, "fetch: empty URL");
  }
  if (request.method != "GET" && request.method != "POST") {
    return make_error(Errc::kInvalidArgument, "fetch: unsupported method " + request.method);
  }
  for (const std::string& line : request.headers) {
    if (line.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      return make_error(Errc::kInvalidArgument, "fetch: CR, LF or NUL in a header line");
    }
  }
  if (transfers.size() >= limits.max_transfers) {
    return make_error(Errc::kResourceExhausted, "fetch: transfer limit reached");
  }
  auto t = std::make_unique<Transfer>();
  t->state = this;
  t->id = next_id++;
  t->body = std::move(request.body);
  t->events = std::move(events);
  t->easy = curl_easy_init();
  if (t->easy == nullptr || !configure(*t, request)) {
    curl_easy_cleanup(t->easy);  // a null handle is ignored
    return make_error(Errc::kInternal, "fetch: cannot set up a curl handle");
  }
  // Adding only arms curl's timer (on_timer); no I/O and no event happens inline.
  if (curl_multi_add_handle(multi, t->easy) != CURLM_OK) {
    curl_easy_cleanup(t->easy);
    return make_error(Errc::kInternal, "fetch: curl_multi_add_handle failed");
  }
  ++stats.started;
  const FetchId id = t->id;
  transfers.emplace(id, std::move(t));
  return id;
}

bool HttpClient::State::configure(Transfer& t, const http::FetchRequest& request) {
  CURL* e = t.easy;
  bool ok = true;
  const auto set = [&](CURLoption option, auto value) {
    ok = ok && curl_easy_setopt(e, option, value) == CURLE_OK;
  };
  set(CURLOPT_URL, request.url.c_str());  // copied by curl
  set(CURLOPT_PRIVATE, static_cast<void*>(&t));
  set(CURLOPT_ERRORBUFFER, static_cast<char*>(t.error_text));
  set(CURLOPT_WRITEFUNCTION, &State::on_write);
  set(CURLOPT_WRITEDATA, static_cast<void*>(&t));
  set(CURLOPT_HEADERFUNCTION, &State::on_header);
  set(CURLOPT_HEADERDATA, static_cast<void*>(&t));
  set(CURLOPT_OPENSOCKETFUNCTION, &State::on_open);
  set(CURLOPT_OPENSOCKETDATA, static_cast<void*>(this));
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_TCP_NODELAY, 1L);
  set(CURLOPT_TCP_KEEPALIVE, 1L);  // a long idle stream to a vanished host ends eventually
  if (request.fresh_connection) {
    set(CURLOPT_FRESH_CONNECT, 1L);
    set(CURLOPT_FORBID_REUSE, 1L);
  }
  set(CURLOPT_PROTOCOLS_STR, "http,https");
  set(CURLOPT_HTTP09_ALLOWED, 0L);
  if (!limits.proxy_from_environment) {
    set(CURLOPT_PROXY, "");  // "" = no proxy, also none from http_proxy & co.
  }
  if (starts_with_nocase(request.url, "http://")) {
    set(CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));  // SSE streams
  }
  if (request.connect_timeout > 0) {
    set(CURLOPT_CONNECTTIMEOUT_MS, to_ms(request.connect_timeout));
  }
  if (request.total_timeout > 0) {
    set(CURLOPT_TIMEOUT_MS, to_ms(request.total_timeout));
  }
  bool has_expect = false;
  for (const std::string& line : request.headers) {
    has_expect = has_expect || starts_with_nocase(line, "expect:");
    curl_slist* next = curl_slist_append(t.headers, line.c_str());
    ok = ok && next != nullptr;
    t.headers = next != nullptr ? next : t.headers;
  }
  if (request.method == "POST") {
    set(CURLOPT_POST, 1L);
    set(CURLOPT_POSTFIELDS, t.body.data());
    set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t.body.size()));
    if (!has_expect) {
      // curl would wait for "100 Continue" before a large body; model servers don't send it.
      curl_slist* next = curl_slist_append(t.headers, "Expect:");
      ok = ok && next != nullptr;
      t.headers = next != nullptr ? next : t.headers;
    }
  }
  if (t.headers != nullptr) {
    set(CURLOPT_HTTPHEADER, t.headers);
  }
  return ok;
}

void HttpClient::State::cancel(FetchId id) {
  auto it = transfers.find(id);
  if (it == transfers.end()) {
    return;
  }
  std::unique_ptr<Transfer> t = std::move(it->second);
  transfers.erase(it);
  t->cancelled = true;
  ++stats.cancelled;
  detach(*t);  // cancel() never runs inside curl, so removing the handle is allowed here
  bury(std::move(t));
}

void HttpClient::State::detach(Transfer& t) {
  if (t.easy == nullptr) {
    return;
  }
  curl_multi_remove_handle(multi, t.easy);
  curl_easy_cleanup(t.easy);
  t.easy = nullptr;
}

// Deferred like net::Endpoint's reaping: cancel() may come from inside this transfer's event.
void HttpClient::State::bury(std::unique_ptr<Transfer> t) {
  graveyard.push_back(std::move(t));
  if (reap_posted) {
    return;
  }
  reap_posted = true;
  loop.post([this, weak = alive.weak()] {
    if (weak.expired()) {
      return;
    }
    reap_posted = false;
    graveyard.clear();
  });
}

// --- curl callbacks ---------------------------------------------------------------------

int HttpClient::State::on_socket(
    CURL* /*easy*/, curl_socket_t fd, int what, void* userp, void* socketp) {
  static_cast<State*>(userp)->watch(fd, what, socketp);
  return 0;
}

int HttpClient::State::on_timer(CURLM* /*multi*/, long timeout_ms, void* userp) {
  State& s = *static_cast<State*>(userp);
  const std::uint64_t generation = ++s.timer_generation;
  if (timeout_ms < 0) {
    cancel_quietly(s.timer);
    return 0;
  }
  // Never socket_action from here (curl is on the stack): even a 0 timeout waits a turn.
  s.timer.expires_after(std::chrono::milliseconds(timeout_ms));
  s.timer.async_wait([&s, weak = s.alive.weak(), generation](const asio::error_code& ec) {
    if (weak.expired() || ec || generation != s.timer_generation) {
      return;
    }
    s.drive(CURL_SOCKET_TIMEOUT, 0);
  });
  return 0;
}

std::size_t HttpClient::State::on_write(char* data, std::size_t size, std::size_t n, void* userp) {
  Transfer& t = *static_cast<Transfer*>(userp);
  t.pending_body.append(data, size * n);
  t.state->mark(t);
  return size * n;
}

std::size_t HttpClient::State::on_header(char* data, std::size_t size, std::size_t n, void* userp) {
  Transfer& t = *static_cast<Transfer*>(userp);
  const std::size_t len = size * n;
  t.header_bytes += len;
  if (t.header_bytes > t.state->limits.max_header_bytes) {
    t.too_large = true;
    return 0;  // curl aborts the transfer (CURLE_WRITE_ERROR), reported as kTooLarge
  }
  const bool blank = len <= 2 && len > 0 && (data[0] == '\r' || data[0] == '\n');
  if (t.status_seen || !blank) {
    return len;  // a header line, or a trailer after the body
  }
  long code = 0;
  curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &code);
  if (code >= 100 && code < 200) {
    return len;  // an interim response; the final one follows
  }
  t.status_seen = true;
  t.status_pending = true;
  t.status = code;
  t.state->mark(t);
  return len;
}

// Ours, to count new connections and to keep curl's sockets out of child processes.
curl_socket_t HttpClient::State::on_open(void* userp, curlsocktype purpose, curl_sockaddr* addr) {
  const int fd = ::socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
  if (fd < 0) {
    return CURL_SOCKET_BAD;
  }
  State& s = *static_cast<State*>(userp);
  if (purpose == CURLSOCKTYPE_IPCXN) {
    ++s.stats.connects;
  }
  // The kernel just handed out this fd number, so a watch still under it would belong to a
  // socket curl closed without a CURL_POLL_REMOVE first (not seen, but nothing in curl's API
  // forbids it): its epoll registration died with that file; it must not pass for this one.
  s.watches.erase(fd);
  return fd;
}

void HttpClient::State::mark(Transfer& t) {
  if (!t.dirty) {
    t.dirty = true;
    dirty.push_back(t.id);
  }
}

// --- sockets and timer ------------------------------------------------------------------

// curl's socketp for a socket is our watch's serial: null means curl has not told us about
// this socket yet, so a watch found under its fd number is a stale one (fd reused) and goes.
void HttpClient::State::watch(curl_socket_t fd, int what, void* socketp) {
  auto it = watches.find(fd);
  if (what == CURL_POLL_REMOVE) {
    if (it != watches.end()) {
      watches.erase(it);  // releases before curl closes the fd
    }
    return;
  }
  const auto serial = reinterpret_cast<std::uintptr_t>(socketp);
  if (it == watches.end() || serial == 0 || it->second->serial != serial) {
    if (it != watches.end()) {
      watches.erase(it);
    }
    auto w = std::make_unique<Watch>(loop.context(), fd, next_serial++);
    asio::error_code ec;
    w->descriptor.assign(fd, ec);
    if (ec) {
      logger().warn("http client: cannot watch fd {}: {}", fd, ec.message());
    }
    // A number, not a pointer, in curl's per-socket slot: a stale one is never dereferenced.
    // NOLINTNEXTLINE(performance-no-int-to-ptr)
    curl_multi_assign(multi, fd, reinterpret_cast<void*>(static_cast<std::uintptr_t>(w->serial)));
    it = watches.emplace(fd, std::move(w)).first;
  }
  Watch& w = *it->second;
  const int wanted = what & (CURL_POLL_IN | CURL_POLL_OUT);
  const int fresh = wanted & ~w.want;
  w.want = wanted;
  arm(w, fresh);
}

HttpClient::State::Watch* HttpClient::State::find_watch(curl_socket_t fd, std::uint64_t serial) {
  auto it = watches.find(fd);
  return it != watches.end() && it->second->serial == serial ? it->second.get() : nullptr;
}

// asio's epoll reactor is edge-triggered and an async_wait is never speculative: readiness
// that arrived while no wait was queued would not wake a new one. After a completed wait curl
// has read or written until EAGAIN, but a direction curl newly asks for (`fresh`) may be
// ready already, so it is polled once and, if ready, handed to curl next turn.
void HttpClient::State::arm(Watch& w, int fresh) {
  if ((w.want & CURL_POLL_IN) != 0 && !w.reading) {
    wait(w, true);
  }
  if ((w.want & CURL_POLL_OUT) != 0 && !w.writing) {
    wait(w, false);
  }
  if (const int ready = fresh != 0 ? ready_now(w.fd, fresh) : 0; ready != 0) {
    kick(w.fd, w.serial, ready);
  }
}

void HttpClient::State::wait(Watch& w, bool read) {
  (read ? w.reading : w.writing) = true;
  w.descriptor.async_wait(
      read ? asio::posix::descriptor_base::wait_read : asio::posix::descriptor_base::wait_write,
      [this, weak = alive.weak(), fd = w.fd, serial = w.serial, read](const asio::error_code& ec) {
        if (weak.expired() || ec == asio::error::operation_aborted) {
          return;
        }
        Watch* found = find_watch(fd, serial);
        if (found == nullptr) {
          return;
        }
        (read ? found->reading : found->writing) = false;
        if ((found->want & (read ? CURL_POLL_IN : CURL_POLL_OUT)) == 0) {
          return;  // no longer wanted; asking again polls (arm's `fresh`)
        }
        drive(fd, (read ? CURL_CSELECT_IN : CURL_CSELECT_OUT) | (ec ? CURL_CSELECT_ERR : 0));
        if (weak.expired() || ec) {
          return;
        }
        if (Watch* again = find_watch(fd, serial); again != nullptr) {
          arm(*again, 0);
        }
      });
}

void HttpClient::State::kick(curl_socket_t fd, std::uint64_t serial, int bits) {
  loop.post([this, weak = alive.weak(), fd, serial, bits] {
    if (!weak.expired() && find_watch(fd, serial) != nullptr) {
      drive(fd, bits);
    }
  });
}

void HttpClient::State::drive(curl_socket_t fd, int bits) {
  loop.refresh_now();
  int running = 0;
  const CURLMcode rc = curl_multi_socket_action(multi, fd, bits, &running);
  if (rc != CURLM_OK) {
    logger().warn("http client: curl_multi_socket_action: {}", curl_multi_strerror(rc));
  }
  deliver();
}

// --- events -----------------------------------------------------------------------------

// Runs after curl returned, so events may start, cancel or destroy freely. Nothing of curl's
// runs meanwhile (start/cancel only add/remove handles), so `dirty` does not grow.
bool HttpClient::State::deliver() {
  const auto weak = alive.weak();
  for (std::size_t i = 0; i < dirty.size(); ++i) {
    auto it = transfers.find(dirty[i]);
    if (it != transfers.end() && !deliver_pending(*it->second)) {
      return false;
    }
    if (weak.expired()) {
      return false;
    }
  }
  dirty.clear();
  return finish_done();
}

bool HttpClient::State::deliver_pending(Transfer& t) {
  const auto weak = alive.weak();
  t.dirty = false;
  if (t.status_pending) {
    t.status_pending = false;
    if (t.events.on_status) {
      t.events.on_status(static_cast<int>(t.status));
      if (weak.expired()) {
        return false;
      }
    }
  }
  if (!t.pending_body.empty() && !t.cancelled) {
    if (t.events.on_body) {
      t.events.on_body(t.pending_body);
      if (weak.expired()) {
        return false;
      }
    }
    t.pending_body.clear();
  }
  return true;
}

bool HttpClient::State::finish_done() {
  const auto weak = alive.weak();
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
    if (msg->msg != CURLMSG_DONE) {
      continue;
    }
    const CURLcode code = msg->data.result;
    char* raw = nullptr;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &raw);
    const FetchId id = reinterpret_cast<Transfer*>(raw)->id;
    auto it = transfers.find(id);
    if (it == transfers.end()) {
      continue;
    }
    std::unique_ptr<Transfer> t = std::move(it->second);
    transfers.erase(it);
    long sent = 0;
    Failure failure{.too_large = t->too_large};
    curl_easy_getinfo(t->easy, CURLINFO_REQUEST_SIZE, &sent);
    curl_easy_getinfo(t->easy, CURLINFO_OS_ERRNO, &failure.os_errno);
    failure.request_sent = sent > 0;
    detach(*t);
    std::optional<FetchError> error;
    if (code != CURLE_OK) {
      error = error_for(code, failure);
      ++stats.failed.at(static_cast<std::size_t>(*error));
      logger().debug("http client: fetch {} failed: {} (curl {}: {})",
                     id,
                     http::to_string(*error),
                     static_cast<int>(code),
                     t->error_text[0] != '\0' ? t->error_text : curl_easy_strerror(code));
    } else {
      ++stats.completed;
    }
    // t is ours now: an event destroying the client cannot free it under us.
    if (!deliver_pending(*t)) {
      return false;
    }
    if (t->events.on_done) {
      t->events.on_done(error);
    }
    if (weak.expired()) {
      return false;
    }
  }
  return true;
}

// --- HttpClient -------------------------------------------------------------------------

HttpClient::HttpClient(Loop& loop, const HttpClientLimits& limits)
    : state_(std::make_unique<State>(loop, limits)) {}

HttpClient::~HttpClient() = default;

Result<FetchId> HttpClient::start(http::FetchRequest request, http::FetchEvents events) {
  return state_->start(std::move(request), std::move(events));
}

void HttpClient::cancel(FetchId id) {
  state_->cancel(id);
}

const HttpClientStats& HttpClient::stats() const {
  return state_->stats;
}

std::size_t HttpClient::active() const {
  return state_->transfers.size();
}

}  // namespace connswap::net
