// net::HttpClient (libcurl multi on the Loop) against real HTTP servers on 127.0.0.1:0: a
// scriptable server on the project's own TcpListener that writes raw HTTP/1.1 bytes, and,
// where the kernel must send an RST, a bare asio socket closed with SO_LINGER 0. Every wait
// is run_until() on an event with a budget; no sleeps.

#include "net/http_client.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <asio.hpp>
#include <gtest/gtest.h>

#include "base/address.h"
#include "http/fetch.h"
#include "net/loop.h"
#include "net/tcp.h"

namespace connswap::net {
namespace {

using http::FetchError;
using http::FetchEvents;
using http::FetchRequest;

constexpr Duration kBudget = 10 * kSecond;

// --- the server ---------------------------------------------------------------------------

struct ServerRequest {
  std::string head;  // request line and header lines, up to the blank line
  std::string body;
};

// One server-side connection; outlives its handler.
struct ServerConn {
  TcpConn* conn = nullptr;  // null once closed
  std::string buffer;
  std::vector<ServerRequest> requests;
  bool closed = false;
};

using Respond = std::function<void(TcpConn&, ServerConn&, const ServerRequest&)>;

std::size_t content_length(const std::string& head) {
  constexpr std::string_view kName = "\r\ncontent-length:";
  std::string lower = head;
  for (char& c : lower) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  const auto at = lower.find(kName);
  return at == std::string::npos ? 0 : std::stoul(lower.substr(at + kName.size()));
}

// Splits requests (head + Content-Length body) and hands each to `respond`.
class ScriptHandler final : public TcpHandler {
 public:
  ScriptHandler(TcpConn& conn, std::shared_ptr<ServerConn> record, Respond respond)
      : conn_(conn), record_(std::move(record)), respond_(std::move(respond)) {
    record_->conn = &conn_;
  }
  void on_data(std::string_view bytes) override {
    record_->buffer.append(bytes);
    for (;;) {
      const auto end = record_->buffer.find("\r\n\r\n");
      if (end == std::string::npos) {
        return;
      }
      const std::string head = record_->buffer.substr(0, end + 2);
      const std::size_t length = content_length(head);
      if (record_->buffer.size() < end + 4 + length) {
        return;
      }
      record_->requests.push_back({head, record_->buffer.substr(end + 4, length)});
      record_->buffer.erase(0, end + 4 + length);
      if (respond_) {
        respond_(conn_, *record_, record_->requests.back());
      }
    }
  }
  void on_drained() override {}
  void on_deadline() override {}
  void on_closed() override {
    record_->closed = true;
    record_->conn = nullptr;
  }

 private:
  TcpConn& conn_;
  std::shared_ptr<ServerConn> record_;
  Respond respond_;
};

struct Server {
  explicit Server(Loop& loop, const Respond& respond = {}) {
    auto opened = TcpListener::open(
        loop, Address::loopback_v4(0), TcpLimits{}, [this, respond](TcpConn& conn) {
          conns.push_back(std::make_shared<ServerConn>());
          return std::make_unique<ScriptHandler>(conn, conns.back(), respond);
        });
    EXPECT_TRUE(opened) << (opened ? "" : opened.error().message());
    listener = std::move(*opened);
  }
  std::string url(const std::string& path = "/") const {
    return "http://127.0.0.1:" + std::to_string(listener->local().port()) + path;
  }
  std::size_t requests() const {
    std::size_t n = 0;
    for (const auto& c : conns) {
      n += c->requests.size();
    }
    return n;
  }
  bool all_closed() const {
    for (const auto& c : conns) {
      if (!c->closed) {
        return false;
      }
    }
    return true;
  }
  std::unique_ptr<TcpListener> listener;
  std::vector<std::shared_ptr<ServerConn>> conns;
};

std::string chunk(std::string_view data) {
  char size[32];
  std::snprintf(size, sizeof(size), "%zx\r\n", data.size());
  return std::string(size) + std::string(data) + "\r\n";
}

constexpr std::string_view kSseHead =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
constexpr std::string_view kLastChunk = "0\r\n\r\n";

// --- the client side ----------------------------------------------------------------------

// Everything one request's events reported.
struct Outcome {
  std::vector<int> statuses;
  std::vector<std::string> pieces;  // one per on_body
  std::string body;
  int dones = 0;
  int events = 0;
  std::optional<FetchError> error;
  bool done() const { return dones > 0; }
};

FetchEvents record(Outcome& out) {
  return FetchEvents{
      .on_status =
          [&out](int status) {
            ++out.events;
            EXPECT_EQ(out.dones, 0);
            out.statuses.push_back(status);
          },
      .on_body =
          [&out](std::string_view bytes) {
            ++out.events;
            EXPECT_EQ(out.dones, 0);
            EXPECT_EQ(out.statuses.size(), 1U) << "body before status";
            out.pieces.emplace_back(bytes);
            out.body.append(bytes);
          },
      .on_done =
          [&out](std::optional<FetchError> error) {
            ++out.events;
            EXPECT_EQ(out.dones, 0) << "on_done twice";
            ++out.dones;
            out.error = error;
          },
  };
}

FetchRequest get(const std::string& url) {
  FetchRequest request;
  request.url = url;
  return request;
}

FetchRequest post(const std::string& url, std::vector<std::string> headers, std::string body) {
  FetchRequest request;
  request.method = "POST";
  request.url = url;
  request.headers = std::move(headers);
  request.body = std::move(body);
  return request;
}

http::FetchId start_ok(HttpClient& client, FetchRequest request, FetchEvents events) {
  auto id = client.start(std::move(request), std::move(events));
  EXPECT_TRUE(id) << (id ? "" : id.error().message());
  return id ? *id : 0;
}

std::uint64_t failed(const HttpClient& client, FetchError error) {
  return client.stats().failed.at(static_cast<std::size_t>(error));
}

// --- streaming and complete responses -----------------------------------------------------

TEST(HttpClient, ChunkedSseArrivesPieceByPieceAsWritten) {
  Loop loop;
  Server server(loop, [](TcpConn& conn, ServerConn&, const ServerRequest&) {
    conn.write(std::string(kSseHead) + chunk("data: one\n\n"));
  });
  HttpClient client(loop);
  Outcome out;
  start_ok(client,
           post(server.url("/v1/completions"),
                {"Content-Type: application/json", "X-Test: yes"},
                R"({"stream":true})"),
           record(out));
  EXPECT_EQ(out.events, 0) << "an event inline from start()";
  ASSERT_TRUE(loop.run_until([&] { return out.body == "data: one\n\n"; }, kBudget));
  EXPECT_EQ(out.statuses, std::vector<int>{200});
  EXPECT_FALSE(out.done());

  TcpConn& conn = *server.conns.at(0)->conn;
  conn.write(chunk("data: two\n\n"));
  ASSERT_TRUE(loop.run_until([&] { return out.pieces.size() >= 2; }, kBudget));
  conn.write(chunk("data: [DONE]\n\n") + std::string(kLastChunk));
  ASSERT_TRUE(loop.run_until([&] { return out.done(); }, kBudget));
  EXPECT_EQ(out.error, std::nullopt);
  EXPECT_EQ(out.body, "data: one\n\ndata: two\n\ndata: [DONE]\n\n");
  EXPECT_GE(out.pieces.size(), 3U);

  const ServerRequest& req = server.conns.at(0)->requests.at(0);
  EXPECT_EQ(req.head.rfind("POST /v1/completions HTTP/1.1\r\n", 0), 0U) << req.head;
  EXPECT_NE(req.head.find("\r\nContent-Type: application/json\r\n"), std::string::npos);
  EXPECT_NE(req.head.find("\r\nX-Test: yes\r\n"), std::string::npos);
  EXPECT_EQ(req.head.find("Expect:"), std::string::npos);
  EXPECT_EQ(req.body, R"({"stream":true})");
  EXPECT_EQ(client.stats().started, 1U);
  EXPECT_EQ(client.stats().completed, 1U);
  EXPECT_EQ(client.active(), 0U);
}

TEST(HttpClient, ContentLengthBodyAndErrorStatusesAreCompleteResponses) {
  Loop loop;
  Server server(loop, [](TcpConn& conn, ServerConn&, const ServerRequest& req) {
    if (req.head.find(" /ok ") != std::string::npos) {
      conn.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
    } else {
      conn.write("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 12\r\n\r\nmodel is off");
    }
  });
  HttpClient client(loop);
  Outcome ok;
  Outcome bad;
  start_ok(client, get(server.url("/ok")), record(ok));
  start_ok(client, get(server.url("/bad")), record(bad));
  ASSERT_TRUE(loop.run_until([&] { return ok.done() && bad.done(); }, kBudget));
  EXPECT_EQ(ok.statuses, std::vector<int>{200});
  EXPECT_EQ(ok.body, "hello");
  EXPECT_EQ(ok.error, std::nullopt);
  EXPECT_EQ(bad.statuses, std::vector<int>{500});
  EXPECT_EQ(bad.body, "model is off");
  EXPECT_EQ(bad.error, std::nullopt);
  EXPECT_EQ(client.stats().completed, 2U);
  EXPECT_EQ(client.stats().failed_total(), 0U);
}

TEST(HttpClient, InterimResponsesAreSkipped) {
  Loop loop;
  Server server(loop, [](TcpConn& conn, ServerConn&, const ServerRequest&) {
    conn.write("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok");
  });
  HttpClient client(loop);
  Outcome out;
  start_ok(client, get(server.url()), record(out));
  ASSERT_TRUE(loop.run_until([&] { return out.done(); }, kBudget));
  EXPECT_EQ(out.statuses, std::vector<int>{201});
  EXPECT_EQ(out.body, "ok");
  EXPECT_EQ(out.error, std::nullopt);
}

// Through curl's resolver (a name, not an address literal).
TEST(HttpClient, HostNamesResolve) {
  Loop loop;
  Server server(loop, [](TcpConn& conn, ServerConn&, const ServerRequest&) {
    conn.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  });
  HttpClient client(loop);
  std::vector<Outcome> outs(3);
  const std::string url =
      "http://localhost:" + std::to_string(server.listener->local().port()) + "/";
  for (Outcome& out : outs) {
    start_ok(client, get(url), record(out));
  }
  ASSERT_TRUE(
      loop.run_until([&] { return outs[0].done() && outs[1].done() && outs[2].done(); }, kBudget));
  for (const Outcome& out : outs) {
    EXPECT_EQ(out.error, std::nullopt);
    EXPECT_EQ(out.body, "ok");
  }
}

// Sets an environment variable for one test and puts the old value back.
class EnvGuard {
 public:
  EnvGuard(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name); old != nullptr) {
      old_ = old;
    }
    if (value != nullptr) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~EnvGuard() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  EnvGuard(const EnvGuard&) = delete;
  EnvGuard& operator=(const EnvGuard&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(HttpClient, ProxyFromTheEnvironmentOnlyWhenAsked) {
  Loop loop;
  Server server(loop, [](TcpConn& conn, ServerConn&, const ServerRequest&) {
    conn.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  });
  asio::ip::tcp::socket dead_proxy(loop.context());  // bound, not listening: refuses
  dead_proxy.open(asio::ip::tcp::v4());
  dead_proxy.bind({asio::ip::make_address_v4("127.0.0.1"), 0});
  const std::string proxy =
      "http://127.0.0.1:" + std::to_string(dead_proxy.local_endpoint().port());
  const EnvGuard http_proxy("http_proxy", proxy.c_str());
  const EnvGuard no_proxy("no_proxy", nullptr);
  const EnvGuard no_proxy_upper("NO_PROXY", nullptr);
  HttpClient direct(loop);
  HttpClient proxied(loop, HttpClientLimits{.proxy_from_environment = true});
  Outcome a;
  Outcome b;
  start_ok(direct, get(server.url()), record(a));
  start_ok(proxied, get(server.url()), record(b));
  ASSERT_TRUE(loop.run_until([&] { return a.done() && b.done(); }, kBudget));
  EXPECT_EQ(a.error, std::nullopt);
  EXPECT_EQ(a.body, "ok");
  EXPECT_EQ(b.error, FetchError::kRefused);
  EXPECT_EQ(server.requests(), 1U);
}

TEST(HttpClient, FetchErrorsHaveDistinctNames) {
  std::vector<std::string_view> names;
  for (std::size_t i = 0; i < kFetchErrorKinds; ++i) {
    names.push_back(http::to_string(static_cast<FetchError>(i)));
    EXPECT_NE(names.back(), "unknown");
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::unique(names.begin(), names.end()), names.end());
  EXPECT_EQ(http::to_string(FetchError::kTooLarge), "too_large");
}

// --- failures -------------------------------------------------------------------------------

struct BrokenCase {
  const char* name;
  std::string response;  // written, then the server closes (FIN)
  FetchError expected;
};

class HttpClientBroken : public ::testing::TestWithParam<BrokenCase> {};

TEST_P(HttpClientBroken, EndsWithTheRightError) {
  Loop loop;
  Server server(loop, [](TcpConn& conn, ServerConn&, const ServerRequest&) {
    conn.write(GetParam().response);
    conn.close();
  });
  HttpClient client(loop);
  Outcome out;
  start_ok(client, get(server.url()), record(out));
  ASSERT_TRUE(loop.run_until([&] { return out.done(); }, kBudget));
  ASSERT_TRUE(out.error.has_value()) << "a broken response ended cleanly";
  EXPECT_EQ(*out.error, GetParam().expected) << http::to_string(*out.error);
  EXPECT_EQ(failed(client, GetParam().expected), 1U);
  EXPECT_EQ(client.stats().completed, 0U);
}

INSTANTIATE_TEST_SUITE_P(
    Cases,
    HttpClientBroken,
    ::testing::Values(
        BrokenCase{"CutMidChunk", std::string(kSseHead) + "10\r\ndata: par", FetchError::kReset},
        BrokenCase{
            "CutBetweenChunks", std::string(kSseHead) + chunk("data: one\n\n"), FetchError::kReset},
        BrokenCase{"ShortContentLength",
                   "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort",
                   FetchError::kReset},
        BrokenCase{"NothingAtAll", "", FetchError::kReset},
        BrokenCase{"GarbageStatusLine", "garbage\r\n\r\n", FetchError::kProtocol},
        BrokenCase{"BadStatusCode", "HTTP/1.1 2x0 OK\r\n\r\n", FetchError::kProtocol},
        BrokenCase{
            "HeaderLineOverCurlsLimit",
            "HTTP/1.1 200 OK\r\nX-Big: " + std::string(std::size_t{200} * 1024, 'b') + "\r\n\r\n",
            FetchError::kTooLarge},
        BrokenCase{"BadChunkSize", std::string(kSseHead) + "zz\r\nxx\r\n", FetchError::kProtocol}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(HttpClient, ResetMidStreamIsReset) {
  Loop loop;
  asio::ip::tcp::acceptor acceptor(loop.context(), {asio::ip::make_address_v4("127.0.0.1"), 0});
  asio::ip::tcp::socket peer(loop.context());
  bool accepted = false;
  acceptor.async_accept(peer, [&](const asio::error_code& ec) { accepted = !ec; });
  HttpClient client(loop);
  Outcome out;
  start_ok(client,
           get("http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()) + "/"),
           record(out));
  ASSERT_TRUE(loop.run_until([&] { return accepted; }, kBudget));
  std::string request;
  std::array<char, 4096> buf{};
  std::function<void()> read_more = [&] {
    peer.async_read_some(asio::buffer(buf), [&](const asio::error_code& ec, std::size_t n) {
      if (!ec) {
        request.append(buf.data(), n);
        read_more();
      }
    });
  };
  read_more();
  ASSERT_TRUE(
      loop.run_until([&] { return request.find("\r\n\r\n") != std::string::npos; }, kBudget));
  asio::write(peer, asio::buffer(std::string(kSseHead) + chunk("data: one\n\n")));
  ASSERT_TRUE(loop.run_until([&] { return !out.body.empty(); }, kBudget));
  peer.set_option(asio::socket_base::linger(true, 0));
  peer.close();  // RST
  ASSERT_TRUE(loop.run_until([&] { return out.done(); }, kBudget));
  EXPECT_EQ(out.error, FetchError::kReset);
  EXPECT_EQ(out.body, "data: one\n\n");
}

TEST(HttpClient, SilentServerHitsTheTotalTimeout) {
  Loop loop;
  Server server(loop);  // accepts, reads, never answers
  HttpClient client(loop);
  Outcome out;
  start_ok(
      client,
      [&] {
        FetchRequest request = get(server.url());
        request.total_timeout = 300 * kMillisecond;
        return request;
      }(),
      record(out));
  ASSERT_TRUE(loop.run_until([&] { return out.done(); }, kBudget));
  EXPECT_EQ(out.error, FetchError::kTimeout);
  EXPECT_TRUE(out.statuses.empty());
  EXPECT_EQ(server.requests(), 1U);
  EXPECT_EQ(failed(client, FetchError::kTimeout), 1U);
}

TEST(HttpClient, ClosedPortIsRefused) {
  Loop loop;
  // Bound but not listening: the kernel answers a SYN with an RST, and the port stays ours.
  asio::ip::tcp::socket blocker(loop.context());
  blocker.open(asio::ip::tcp::v4());
  blocker.bind({asio::ip::make_address_v4("127.0.0.1"), 0});
  HttpClient client(loop);
  Outcome out;
  start_ok(client,
           get("http://127.0.0.1:" + std::to_string(blocker.local_endpoint().port()) + "/"),
           record(out));
  ASSERT_TRUE(loop.run_until([&] { return out.done(); }, kBudget));
  EXPECT_EQ(out.error, FetchError::kRefused);
  EXPECT_EQ(out.events, 1);
}

TEST(HttpClient, BadUrlsAreResolveErrorsLater) {
  Loop loop;
  HttpClient client(loop);
  Outcome scheme;
  Outcome malformed;
  start_ok(client, get("ftp://127.0.0.1/file"), record(scheme));
  start_ok(client, get("http://[::1/"), record(malformed));
  EXPECT_EQ(scheme.events + malformed.events, 0);
  ASSERT_TRUE(loop.run_until([&] { return scheme.done() && malformed.done(); }, kBudget));
  EXPECT_EQ(scheme.error, FetchError::kResolve);
  EXPECT_EQ(malformed.error, FetchError::kResolve);
}

TEST(HttpClient, OversizedResponseHeadIsTooLarge) {
  Loop loop;
  Server server(loop, [](TcpConn& conn, ServerConn&, const ServerRequest&) {
    std::string head = "HTTP/1.1 200 OK\r\n";
    for (int i = 0; i < 200; ++i) {
      head += "X-Pad-" + std::to_string(i) + ": " + std::string(60, 'p') + "\r\n";
    }
    conn.write(head + "Content-Length: 2\r\n\r\nok");
  });
  HttpClient client(loop, HttpClientLimits{.max_header_bytes = 4096});
  Outcome out;
  start_ok(client, get(server.url()), record(out));
  ASSERT_TRUE(loop.run_until([&] { return out.done(); }, kBudget));
  EXPECT_EQ(out.error, FetchError::kTooLarge);
  EXPECT_TRUE(out.statuses.empty());
}

TEST(HttpClient, StartRefusesWhatItCannotMake) {
  Loop loop;
  HttpClient client(loop, HttpClientLimits{.max_transfers = 2});
  Outcome out;
  FetchRequest put = get("http://127.0.0.1:1/");
  put.method = "PUT";
  FetchRequest injected = get("http://127.0.0.1:1/");
  injected.headers = {"X: a\r\nY: b"};
  EXPECT_EQ(client.start(get(""), record(out)).error().code, Errc::kInvalidArgument);
  EXPECT_EQ(client.start(put, record(out)).error().code, Errc::kInvalidArgument);
  EXPECT_EQ(client.start(injected, record(out)).error().code, Errc::kInvalidArgument);
  Server server(loop);
  Outcome a;
  Outcome b;
  start_ok(client, get(server.url()), record(a));
  start_ok(client, get(server.url()), record(b));
  EXPECT_EQ(client.start(get(server.url()), record(out)).error().code, Errc::kResourceExhausted);
  EXPECT_EQ(client.stats().started, 2U);
  EXPECT_EQ(out.events, 0);
}

// --- cancellation and destruction -----------------------------------------------------------

TEST(HttpClient, CancelInsideOnBodyStopsEverything) {
  Loop loop;
  Server server(loop, [](TcpConn& conn, ServerConn&, const ServerRequest&) {
    conn.write(std::string(kSseHead) + chunk("data: one\n\n"));
  });
  HttpClient client(loop);
  Outcome out;
  http::FetchId id = 0;
  FetchEvents events = record(out);
  events.on_body = [&](std::string_view bytes) {
    ++out.events;
    out.body.append(bytes);
    client.cancel(id);
    client.cancel(id);  // idempotent
  };
  id = start_ok(client, get(server.url()), std::move(events));
  ASSERT_TRUE(loop.run_until([&] { return !out.body.empty(); }, kBudget));
  const int events_at_cancel = out.events;
  // The server keeps writing; the cancelled transfer's connection is closed by the client.
  if (TcpConn* conn = server.conns.at(0)->conn; conn != nullptr) {
    conn->write(chunk("data: two\n\n") + std::string(kLastChunk));
  }
  ASSERT_TRUE(loop.run_until([&] { return server.all_closed(); }, kBudget));
  EXPECT_EQ(out.events, events_at_cancel);
  EXPECT_FALSE(out.done());
  EXPECT_EQ(client.stats().cancelled, 1U);
  EXPECT_EQ(client.active(), 0U);
}

TEST(HttpClient, CancelOfAPendingRequestSendsNothing) {
  Loop loop;
  Server server(loop, [](TcpConn& conn, ServerConn&, const ServerRequest& req) {
    if (req.head.find(" /stream ") != std::string::npos) {
      conn.write(std::string(kSseHead) + chunk("data: one\n\n"));
    } else {
      conn.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    }
  });
  HttpClient client(loop, HttpClientLimits{.max_host_connections = 1});
  Outcome stream;
  Outcome pending;
  start_ok(client, get(server.url("/stream")), record(stream));
  ASSERT_TRUE(loop.run_until([&] { return !stream.body.empty(); }, kBudget));
  const http::FetchId waiting = start_ok(client, get(server.url("/other")), record(pending));
  // Turn the loop while the second request waits for the host's only connection.
  server.conns.at(0)->conn->write(chunk("data: two\n\n"));
  ASSERT_TRUE(loop.run_until([&] { return stream.pieces.size() >= 2; }, kBudget));
  client.cancel(waiting);
  server.conns.at(0)->conn->write(std::string(kLastChunk));
  ASSERT_TRUE(loop.run_until([&] { return stream.done(); }, kBudget));
  EXPECT_EQ(stream.error, std::nullopt);
  EXPECT_EQ(pending.events, 0);
  EXPECT_EQ(server.requests(), 1U);
  // The client still works, on the same kept-alive connection.
  Outcome after;
  start_ok(client, get(server.url("/other")), record(after));
  ASSERT_TRUE(loop.run_until([&] { return after.done(); }, kBudget));
  EXPECT_EQ(after.body, "ok");
  EXPECT_EQ(pending.events, 0);
  EXPECT_EQ(server.listener->accepted(), 1U);
}

TEST(HttpClient, DestroyingTheClientWithTransfersInFlightEndsThemSilently) {
  Loop loop;
  Server server(loop, [](TcpConn& conn, ServerConn&, const ServerRequest& req) {
    if (req.head.find(" /silent ") == std::string::npos) {
      conn.write(std::string(kSseHead) + chunk("data: one\n\n"));
    }
  });
  auto client = std::make_unique<HttpClient>(loop);
  std::vector<Outcome> outs(4);
  for (std::size_t i = 0; i < 3; ++i) {
    start_ok(*client, get(server.url("/stream")), record(outs[i]));
  }
  start_ok(*client, get(server.url("/silent")), record(outs[3]));
  ASSERT_TRUE(loop.run_until(
      [&] {
        return !outs[0].body.empty() && !outs[1].body.empty() && !outs[2].body.empty() &&
               server.requests() == 4;
      },
      kBudget));
  int events = 0;
  for (const Outcome& o : outs) {
    events += o.events;
  }
  client.reset();
  for (const auto& c : server.conns) {
    if (c->conn != nullptr) {
      c->conn->write(chunk("data: two\n\n") + std::string(kLastChunk));
    }
  }
  ASSERT_TRUE(loop.run_until([&] { return server.all_closed(); }, kBudget));
  int after = 0;
  for (const Outcome& o : outs) {
    after += o.events;
  }
  EXPECT_EQ(after, events);
}

TEST(HttpClient, AnEventMayDestroyTheClient) {
  Loop loop;
  Server server(loop, [](TcpConn& conn, ServerConn&, const ServerRequest&) {
    conn.write(std::string(kSseHead) + chunk("data: one\n\n"));
  });
  auto client = std::make_unique<HttpClient>(loop);
  Outcome first;
  Outcome second;
  FetchEvents events = record(first);
  events.on_body = [&](std::string_view) {
    ++first.events;
    client.reset();
  };
  start_ok(*client, get(server.url()), std::move(events));
  start_ok(*client, get(server.url()), record(second));
  ASSERT_TRUE(loop.run_until([&] { return client == nullptr; }, kBudget));
  ASSERT_TRUE(loop.run_until([&] { return server.all_closed(); }, kBudget));
  EXPECT_EQ(first.events, 2);  // status, body
  EXPECT_FALSE(second.done());
}

// --- scale and reuse ------------------------------------------------------------------------

TEST(HttpClient, TwoHundredConcurrentStreams) {
  constexpr std::size_t kStreams = 200;
  Loop loop;
  // Each answer in three writes with the loop turning between them.
  Server server(loop, [&loop](TcpConn& conn, ServerConn& record, const ServerRequest& req) {
    const auto from = req.head.find("/s/") + 3;
    const std::string n = req.head.substr(from, req.head.find(' ', from) - from);
    conn.write(std::string(kSseHead) + chunk("data: " + n + "\n\n"));
    ServerConn* rec = &record;  // owned by the server, which outlives the loop's work here
    loop.post([rec, &loop, n] {
      if (rec->conn != nullptr) {
        rec->conn->write(chunk("data: more " + n + "\n\n"));
      }
      loop.post([rec] {
        if (rec->conn != nullptr) {
          rec->conn->write(std::string(kLastChunk));
        }
      });
    });
  });
  HttpClient client(loop);
  std::vector<Outcome> outs(kStreams);
  for (std::size_t i = 0; i < kStreams; ++i) {
    start_ok(client, get(server.url("/s/" + std::to_string(i))), record(outs[i]));
  }
  EXPECT_EQ(client.active(), kStreams);
  ASSERT_TRUE(loop.run_until(
      [&] { return client.stats().completed + client.stats().failed_total() == kStreams; },
      3 * kBudget));
  for (std::size_t i = 0; i < kStreams; ++i) {
    const std::string n = std::to_string(i);
    EXPECT_EQ(outs[i].error, std::nullopt) << i;
    std::string expected = "data: " + n;
    expected += "\n\ndata: more " + n;
    expected += "\n\n";
    EXPECT_EQ(outs[i].body, expected) << i;
  }
  EXPECT_EQ(client.stats().completed, kStreams);
  EXPECT_EQ(server.listener->accepted(), kStreams);
  EXPECT_EQ(client.stats().connects, kStreams);
  EXPECT_EQ(client.active(), 0U);
}

TEST(HttpClient, SequentialRequestsReuseOneConnection) {
  Loop loop;
  Server server(loop, [](TcpConn& conn, ServerConn&, const ServerRequest&) {
    conn.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  });
  HttpClient client(loop);
  Outcome first;
  Outcome second;
  FetchEvents events = record(first);
  events.on_done = [&](std::optional<FetchError> error) {
    ++first.dones;
    first.error = error;
    start_ok(client, get(server.url("/again")), record(second));  // start() from an event
  };
  start_ok(client, get(server.url()), std::move(events));
  ASSERT_TRUE(loop.run_until([&] { return second.done(); }, kBudget));
  EXPECT_EQ(first.error, std::nullopt);
  EXPECT_EQ(second.error, std::nullopt);
  EXPECT_EQ(second.body, "ok");
  EXPECT_EQ(server.requests(), 2U);
  EXPECT_EQ(server.listener->accepted(), 1U);
  EXPECT_EQ(client.stats().connects, 1U);
}

}  // namespace
}  // namespace connswap::net

namespace connswap::net {
namespace {

// fresh_connection: each request opens its own connection and closes it afterwards, so a
// later request (even a plain one) cannot reuse it.
TEST(HttpClient, FreshConnectionsAreNeitherReusedNorKept) {
  Loop loop;
  Server server(loop, [](TcpConn& conn, ServerConn&, const ServerRequest&) {
    conn.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  });
  HttpClient client(loop);
  Outcome outcomes[3];
  for (Outcome& o : outcomes) {
    FetchRequest req = get(server.url());
    req.fresh_connection = &o != &outcomes[2];
    start_ok(client, std::move(req), record(o));
    ASSERT_TRUE(loop.run_until([&] { return o.done(); }, kBudget));
    EXPECT_EQ(o.error, std::nullopt);
    EXPECT_EQ(o.body, "ok");
  }
  EXPECT_EQ(server.listener->accepted(), 3U);
  EXPECT_EQ(client.stats().connects, 3U);
}

}  // namespace
}  // namespace connswap::net
