#include "base/log_json.h"

#include <cstdio>
#include <ctime>

#include <nlohmann/json.hpp>

#include "base/log_fields.h"

namespace connswap::log {
namespace {

std::string_view level_name(spdlog::level::level_enum level) {
  // The text format's names, lower-case (critical is logged as ERROR there too).
  static constexpr std::string_view kNames[] = {
      "trace", "debug", "info", "warn", "error", "error", "off"};
  const auto i = static_cast<std::size_t>(level);
  return i < std::size(kNames) ? kNames[i] : "unknown";
}

std::string rfc3339_utc(std::chrono::system_clock::time_point ts) {
  const auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(ts.time_since_epoch()).count();
  auto secs = static_cast<std::time_t>(us / 1'000'000);
  auto frac = us % 1'000'000;
  if (frac < 0) {  // before 1970: floor, not truncate
    frac += 1'000'000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  const int n = std::snprintf(buf,
                              sizeof buf,
                              "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
                              tm.tm_year + 1900,
                              tm.tm_mon + 1,
                              tm.tm_mday,
                              tm.tm_hour,
                              tm.tm_min,
                              tm.tm_sec,
                              static_cast<int>(frac));
  return std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
}

bool is_reserved(std::string_view key) {
  return key == "ts" || key == "level" || key == "logger" || key == "msg";
}

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const std::string line =
        json_line(msg.time,
                  msg.level,
                  std::string_view(msg.logger_name.data(), msg.logger_name.size()),
                  std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(line.data(), line.data() + line.size());
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

}  // namespace

std::string json_line(std::chrono::system_clock::time_point ts,
                      spdlog::level::level_enum level,
                      std::string_view logger,
                      std::string_view text) {
  // ordered_json: members in line order (ts, level, logger, fields..., msg) for people too.
  nlohmann::ordered_json j;
  j["ts"] = rfc3339_utc(ts);
  j["level"] = level_name(level);
  j["logger"] = logger;
  const LogFields split = split_fields(text);
  for (const auto& [key, value] : split.fields) {
    j[is_reserved(key) ? "field." + std::string(key) : std::string(key)] = value;
  }
  j["msg"] = split.message;
  // replace: a log line must never throw (invalid UTF-8 from a peer becomes U+FFFD).
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::unique_ptr<spdlog::formatter> make_json_formatter() {
  return std::make_unique<JsonFormatter>();
}

}  // namespace connswap::log
