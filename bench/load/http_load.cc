#include "http_load.h"

#include <curl/curl.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "net/loop.h"
#include "sse_reader.h"

namespace connswap::bench {
namespace {

constexpr int kPollMs = 50;  // how often a thread looks at window.stop

struct HttpStream {
  CURL* easy = nullptr;
  int global = 0;
  std::string body;
  Timestamp sent = 0;
  Timestamp last = 0;  // last token event of this request
  Timestamp now = 0;   // read once per write callback
  bool first = false;
  bool finished = false;   // the finish_reason chunk
  bool done = false;       // data: [DONE]
  bool flowing = false;    // counted in progress (once per slot)
  bool migrating = false;  // a ": migrated" comment since the last token
  std::string reason;
  std::unique_ptr<SseReader> reader;
};

}  // namespace

bool http_global_init() {
  return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

class HttpLoad {
 public:
  HttpLoad(const LoadConfig& config, int index, Window& window, Progress& progress)
      : config_(config), index_(index), window_(window), progress_(progress) {}

  void run();
  LoadResult result_;

 private:
  static std::size_t on_write(char* data, std::size_t size, std::size_t n, void* user);
  void open(int global);
  void issue(HttpStream& s);
  void on_event(HttpStream& s, std::string_view data);
  void on_comment(HttpStream& s, std::string_view text);
  void on_token(HttpStream& s);
  void on_end(HttpStream& s, CURLcode code);
  void error(const std::string& what) { ++result_.protocol_errors[what]; }

  const LoadConfig config_;
  int index_;
  Window& window_;
  Progress& progress_;
  CURLM* multi_ = nullptr;
  curl_slist* headers_ = nullptr;
  std::string url_;
  std::vector<std::unique_ptr<HttpStream>> streams_;
};

void HttpLoad::run() {
  multi_ = curl_multi_init();
  const int total = config_.connections * config_.streams_per_connection;
  curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, static_cast<long>(total));
  headers_ = curl_slist_append(headers_, "Content-Type: application/json");
  headers_ = curl_slist_append(headers_, "Expect:");
  url_ = "http://" + config_.http_host + "/v1/completions";
  for (int g = index_; g < total; g += config_.threads) {
    open(g);
  }
  while (!window_.stop.load(std::memory_order_relaxed)) {
    int running = 0;
    curl_multi_perform(multi_, &running);
    int left = 0;
    while (CURLMsg* m = curl_multi_info_read(multi_, &left)) {
      if (m->msg == CURLMSG_DONE) {
        HttpStream* s = nullptr;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &s);
        on_end(*s, m->data.result);
      }
    }
    curl_multi_poll(multi_, nullptr, 0, kPollMs, nullptr);
  }
  for (auto& s : streams_) {
    curl_multi_remove_handle(multi_, s->easy);
    curl_easy_cleanup(s->easy);
  }
  curl_multi_cleanup(multi_);
  curl_slist_free_all(headers_);
}

void HttpLoad::open(int global) {
  auto owned = std::make_unique<HttpStream>();
  HttpStream* s = owned.get();
  s->global = global;
  nlohmann::json body = {{"prompt", fmt::format("{} #{}", config_.prompt, global)},
                         {"stream", true}};
  if (config_.max_tokens != 0) {
    body["max_tokens"] = config_.max_tokens;  // else the front's default (256)
  }
  s->body = body.dump();
  s->reader = std::make_unique<SseReader>([this, s](std::string_view d) { on_event(*s, d); },
                                          [this, s](std::string_view c) { on_comment(*s, c); });
  s->easy = curl_easy_init();
  curl_easy_setopt(s->easy, CURLOPT_URL, url_.c_str());
  curl_easy_setopt(s->easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
  curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, headers_);
  curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, s->body.c_str());
  curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE, static_cast<long>(s->body.size()));
  curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, &HttpLoad::on_write);
  curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, s);
  curl_easy_setopt(s->easy, CURLOPT_PRIVATE, s);
  curl_easy_setopt(s->easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(s->easy, CURLOPT_TCP_NODELAY, 1L);
  streams_.push_back(std::move(owned));
  ++result_.streams;
  progress_.streams_started.fetch_add(1, std::memory_order_relaxed);
  issue(*s);
}

// (Re)starts a request on the stream's easy handle (curl reuses a kept-alive connection).
void HttpLoad::issue(HttpStream& s) {
  s.reader->reset();
  s.first = s.finished = s.done = s.migrating = false;
  s.last = 0;
  s.sent = net::clock_now();
  ++result_.requests;
  if (curl_multi_add_handle(multi_, s.easy) != CURLM_OK) {
    error("curl_multi_add_handle");
  }
}

std::size_t HttpLoad::on_write(char* data, std::size_t size, std::size_t n, void* user) {
  auto* s = static_cast<HttpStream*>(user);
  s->now = net::clock_now();
  s->reader->feed(std::string_view(data, size * n));
  return size * n;
}

void HttpLoad::on_event(HttpStream& s, std::string_view data) {
  switch (classify_chunk(data)) {
    case ChunkKind::kToken:
      if (s.finished || s.done) {
        error("token_after_finish");
      }
      on_token(s);
      break;
    case ChunkKind::kFinish:
      s.finished = true;
      break;
    case ChunkKind::kDone:
      s.done = true;
      break;
    case ChunkKind::kError:
      error("error_event");
      break;
    case ChunkKind::kBad:
      error("bad_chunk");
      break;
  }
}

// The front's failover note, ": migrated from=A to=B reason=R resume_seq=N".
void HttpLoad::on_comment(HttpStream& s, std::string_view text) {
  if (!text.starts_with("migrated ")) {
    return;
  }
  const std::size_t at = text.find("reason=");
  std::string_view reason = at == std::string_view::npos ? "?" : text.substr(at + 7);
  reason = reason.substr(0, reason.find(' '));
  s.migrating = true;
  s.reason = std::string(reason);
  ++result_.migrations[s.reason];
  progress_.migrations.fetch_add(1, std::memory_order_relaxed);
}

void HttpLoad::on_token(HttpStream& s) {
  const Timestamp now = s.now;
  ++result_.total_tokens;
  progress_.tokens.fetch_add(1, std::memory_order_relaxed);
  if (!s.first) {
    s.first = true;
    record_ttft(result_, window_, s.sent, now);
  }
  if (s.migrating) {
    s.migrating = false;
    if (s.last != 0) {
      const auto gap =
          static_cast<std::int64_t>(now - s.last) - static_cast<std::int64_t>(config_.interval);
      result_.gaps.push_back({gap, s.reason, now});
    }
    s.last = 0;  // the gap across the failover is not a token gap
  }
  if (now >= window_.start.load(std::memory_order_relaxed) &&
      now < window_.end.load(std::memory_order_relaxed)) {
    ++result_.window_tokens;
    ++result_.no_emit_time;  // an SSE chunk carries no emit time
    if (s.last != 0) {
      result_.token_gap.record(now - s.last);
    }
  }
  s.last = now;
  if (!s.flowing) {
    s.flowing = true;
    progress_.streams_flowing.fetch_add(1, std::memory_order_relaxed);
  }
}

// A request ended: counts what was wrong with it, then issues the next one.
void HttpLoad::on_end(HttpStream& s, CURLcode code) {
  long status = 0;
  curl_easy_getinfo(s.easy, CURLINFO_RESPONSE_CODE, &status);
  curl_multi_remove_handle(multi_, s.easy);
  if (code != CURLE_OK) {
    error(fmt::format("curl_{}", static_cast<int>(code)));
  } else if (status != 200) {
    error(fmt::format("http_{}", status));
  } else if (!s.done || !s.finished || s.reader->partial()) {
    error(!s.done ? "missing_done" : !s.finished ? "missing_finish" : "partial_event");
  }
  if (!window_.stop.load(std::memory_order_relaxed)) {
    issue(s);
  }
}

std::unique_ptr<Driver> make_http_driver(const LoadConfig& config,
                                         int index,
                                         Window& window,
                                         Progress& progress) {
  auto load = std::make_shared<HttpLoad>(config, index, window, progress);
  return std::make_unique<Driver>([load] {
    load->run();
    return std::move(load->result_);
  });
}

}  // namespace connswap::bench
