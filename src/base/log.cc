#include "base/log.h"

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include "base/log_json.h"

namespace connswap::log {
namespace {

// Upper-case level names as in the seed ("INFO", "WARN").
class UpperLevelFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg,
              const std::tm&,
              spdlog::memory_buf_t& dest) override {
    static constexpr std::string_view kNames[] = {
        "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "ERROR", "OFF"};
    auto name = kNames[static_cast<int>(msg.level)];
    dest.append(name.data(), name.data() + name.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<UpperLevelFlag>();
  }
};

struct Registry {
  std::mutex mu;
  spdlog::sink_ptr sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  std::map<std::string, std::shared_ptr<spdlog::logger>, std::less<>> loggers;
  spdlog::level::level_enum level = spdlog::level::info;

  Registry() { sink->set_formatter(text_formatter()); }

  static std::unique_ptr<spdlog::formatter> text_formatter() {
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<UpperLevelFlag>('*').set_pattern("%H:%M:%S.%f %^%*%$ %n %v");
    return formatter;
  }
};

Registry& registry() {
  static auto* r = new Registry();  // leaked on purpose: loggers outlive static destructors
  return *r;
}

}  // namespace

spdlog::logger& get(std::string_view module) {
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  auto it = r.loggers.find(module);
  if (it == r.loggers.end()) {
    auto logger = std::make_shared<spdlog::logger>(std::string(module), r.sink);
    logger->set_level(r.level);
    logger->flush_on(spdlog::level::warn);
    it = r.loggers.emplace(std::string(module), std::move(logger)).first;
  }
  return *it->second;
}

std::optional<spdlog::level::level_enum> parse_level(std::string_view spec) {
  std::optional<spdlog::level::level_enum> found;
  while (!spec.empty()) {
    auto comma = spec.find(',');
    std::string_view item = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);
    if (auto eq = item.find('='); eq != std::string_view::npos) {
      item = item.substr(eq + 1);  // "crate=level": take the level
    }
    static const std::pair<std::string_view, spdlog::level::level_enum> kLevels[] = {
        {"trace", spdlog::level::trace},
        {"debug", spdlog::level::debug},
        {"info", spdlog::level::info},
        {"warn", spdlog::level::warn},
        {"warning", spdlog::level::warn},
        {"error", spdlog::level::err},
        {"off", spdlog::level::off}};
    bool matched = false;
    for (const auto& [name, level] : kLevels) {
      if (item == name) {
        found = level;
        matched = true;
      }
    }
    if (!matched) {
      return std::nullopt;
    }
  }
  return found;
}

bool set_level(std::string_view spec) {
  auto level = parse_level(spec);
  if (!level) {
    return false;
  }
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  r.level = *level;
  for (auto& [name, logger] : r.loggers) {
    logger->set_level(*level);
  }
  return true;
}

void set_format(Format format) {
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  r.sink->set_formatter(format == Format::kJson ? make_json_formatter()
                                                : Registry::text_formatter());
}

std::optional<Format> parse_format(std::string_view name) {
  if (name == "text") {
    return Format::kText;
  }
  if (name == "json") {
    return Format::kJson;
  }
  return std::nullopt;
}

}  // namespace connswap::log
