#include "worker/openai_source.h"

#include <utility>

#include "base/log.h"
#include "worker/detail/openai_stream.h"

namespace connswap::worker {
namespace {

spdlog::logger& logger() {
  return log::get("worker");
}

}  // namespace

std::string_view to_string(BackendError error) {
  switch (error) {
    case BackendError::kRefused:
      return "refused";
    case BackendError::kReset:
      return "reset";
    case BackendError::kTimeout:
      return "timeout";
    case BackendError::kStall:
      return "stall";
    case BackendError::kHttp5xx:
      return "http_5xx";
    case BackendError::kOverloaded:
      return "overloaded";
    case BackendError::kHttp4xx:
      return "http_4xx";
    case BackendError::kMalformed:
      return "malformed";
    case BackendError::kCut:
      return "cut";
    case BackendError::kOther:
      return "other";
  }
  return "unknown";
}

Result<void> validate(const BackendConfig& c) {
  const bool http = c.url.starts_with("http://") || c.url.starts_with("https://");
  if (!http || c.url.size() <= 8) {
    return make_error(Errc::kInvalidArgument, "backend_url: an http:// or https:// base URL");
  }
  for (const auto& [name, value] : {std::pair{"backend_connect_timeout", c.connect_timeout},
                                    {"backend_first_token_timeout", c.first_token_timeout},
                                    {"backend_stall_timeout", c.stall_timeout},
                                    {"backend_health_interval", c.health_interval},
                                    {"backend_health_timeout", c.health_timeout}}) {
    if (value == 0) {
      return make_error(Errc::kInvalidArgument, std::string(name) + ": must be > 0");
    }
  }
  if (c.max_streams == 0 || c.max_buffered_tokens == 0) {
    return make_error(Errc::kInvalidArgument,
                      c.max_streams == 0 ? "backend_max_streams: must be >= 1"
                                         : "backend_max_buffered_tokens: must be >= 1");
  }
  return {};
}

OpenAISource::OpenAISource(BackendConfig config, http::Fetcher& fetcher, BackendObserver* observer)
    : config_(std::move(config)), fetcher_(fetcher), observer_(observer) {
  while (config_.url.ends_with('/')) {
    config_.url.pop_back();
  }
}

OpenAISource::~OpenAISource() {
  if (probing_) {
    fetcher_.cancel(probe_id_);
  }
}

Result<std::unique_ptr<TokenStream>> OpenAISource::start(StreamStart start, Notify notify) {
  const auto refuse = [this](std::string why) -> Result<std::unique_ptr<TokenStream>> {
    ++stats_.streams_refused;
    return make_error(Errc::kUnavailable, std::move(why));
  };
  if (!healthy_) {
    return refuse("model server unhealthy (health probe failing)");
  }
  if (open_streams_ >= config_.max_streams) {
    return refuse("model server at --backend-max-streams " + std::to_string(config_.max_streams));
  }
  const std::uint64_t delivered = start.request.start_seq - 1;
  if (start.prefix.size() != delivered) {
    return refuse("cannot continue at seq " + std::to_string(start.request.start_seq) +
                  ": the director sent " + std::to_string(start.prefix.size()) + " of the " +
                  std::to_string(delivered) + " delivered tokens");
  }
  auto stream = std::make_unique<Stream>(*this, std::move(notify), start.request.start_seq);
  if (auto ok = stream->begin(start); !ok) {
    return refuse("model server request: " + ok.error().message());
  }
  ++stats_.streams_started;
  stats_.continuations += delivered != 0 ? 1 : 0;
  return std::unique_ptr<TokenStream>(std::move(stream));
}

Timestamp OpenAISource::deadline() const {
  return probing_ ? kNever : next_probe_;
}

void OpenAISource::on_timeout(Timestamp now) {
  if (!probing_ && now >= next_probe_) {
    start_probe(now);
  }
}

void OpenAISource::start_probe(Timestamp now) {
  probe_started_ = now;
  probe_status_ = 0;
  http::FetchRequest req;
  req.url = config_.url + "/models";
  req.connect_timeout = config_.connect_timeout;
  req.total_timeout = config_.health_timeout;
  // A kept-alive probe connection to uvicorn takes ~44 ms a probe (docs/BENCHMARKS.md,
  // "Model servers"), and a server that serves one request at a time makes streams wait.
  req.fresh_connection = true;
  auto id = fetcher_.start(std::move(req),
                           http::FetchEvents{
                               .on_status = [this](int status) { probe_status_ = status; },
                               .on_body = [](std::string_view) {},
                               .on_done =
                                   [this](std::optional<http::FetchError> error) {
                                     probing_ = false;
                                     if (error) {
                                       probe_done(false, http::to_string(*error));
                                     } else {
                                       probe_done(probe_status_ == 200,
                                                  probe_status_ == 200 ? "" : "HTTP status");
                                     }
                                   },
                           });
  next_probe_ = now + config_.health_interval;
  if (!id) {
    probe_done(false, "probe not started");
    return;
  }
  probing_ = true;
  probe_id_ = *id;
}

void OpenAISource::probe_done(bool ok, std::string_view why) {
  if (ok && !healthy_) {
    logger().info("backend={}: ✅ model server healthy", config_.url);
  } else if (!ok && (healthy_ || stats_.probes_failed == 0)) {
    logger().warn(
        "backend={} status={} error=\"{}\": ⚠️  model server unhealthy, no new streams",
        config_.url,
        probe_status_,
        why);
  }
  healthy_ = ok;
  stats_.healthy = ok;
  stats_.probes_failed += ok ? 0 : 1;
}

void OpenAISource::server_refused() {
  healthy_ = false;
  stats_.healthy = false;
  next_probe_ = 0;  // probe again at once: a restarted server is back within a turn
}

void OpenAISource::count_error(BackendError error) {
  ++stats_.errors.at(static_cast<std::size_t>(error));
}

BackendStats OpenAISource::stats() const {
  return stats_;
}

}  // namespace connswap::worker
