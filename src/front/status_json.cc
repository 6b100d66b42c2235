// /debug/workers, /debug/streams and /debug/gaps: the status page's data as JSON, built with
// nlohmann-json (every string encoded by the library).

#include "front/detail/json.h"
#include "front/status_page.h"

namespace connswap::front {
namespace {

double ms(Duration d) {
  return static_cast<double>(d) / static_cast<double>(kMillisecond);
}

nlohmann::json stream_json(const services::StatusStream& s) {
  nlohmann::json migrations = nlohmann::json::array();
  for (const services::StatusMigration& m : s.migrations) {
    migrations.push_back(
        {{"from", m.from}, {"to", m.to}, {"reason", m.reason}, {"ago_ms", ms(m.ago)}});
  }
  return {{"connection_id", s.connection_id},
          {"stream_id", s.stream_id},
          {"state", s.state},
          {"worker", s.worker},
          {"tokens", s.tokens},
          {"migration_count", s.migration_count},
          {"migrations", std::move(migrations)},
          {"age_ms", ms(s.age)}};
}

}  // namespace

std::string workers_json(const std::vector<services::StatusWorker>& workers) {
  nlohmann::json list = nlohmann::json::array();
  for (const services::StatusWorker& w : workers) {
    list.push_back({{"label", w.label},
                    {"address", w.address},
                    {"health", w.health},
                    {"streams", w.streams},
                    {"tokens_per_s", w.tokens_per_s},
                    {"tokens", w.tokens},
                    {"failures", w.failures},
                    {"heartbeat_age_ms", ms(w.heartbeat_age)}});
  }
  return dump_json({{"workers", std::move(list)}});
}

std::string streams_json(const StatusPage& page) {
  nlohmann::json list = nlohmann::json::array();
  for (const services::StatusStream& s : page.streams) {
    list.push_back(stream_json(s));
  }
  return dump_json({{"total", page.total_streams},
                    {"shown", page.streams.size()},
                    {"sort", to_string(page.sort)},
                    {"streams", std::move(list)}});
}

std::string gaps_json(const services::GapHistogram& gaps) {
  nlohmann::json buckets = nlohmann::json::array();
  for (std::size_t i = 0; i < gaps.counts.size(); ++i) {
    nlohmann::json b = {{"count", gaps.counts[i]}};
    if (i < services::GapHistogram::kBoundsMs.size()) {
      b["le_ms"] = services::GapHistogram::kBoundsMs[i];
    } else {
      b["le_ms"] = nullptr;  // +Inf
    }
    buckets.push_back(std::move(b));
  }
  return dump_json({{"total", gaps.total},
                    {"sum_ms", ms(gaps.sum)},
                    {"max_ms", ms(gaps.max)},
                    {"buckets", std::move(buckets)}});
}

}  // namespace connswap::front
