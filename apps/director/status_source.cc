#include "director/status_source.h"

namespace connswap::app {

DirectorStatusSource::DirectorStatusSource(services::DirectorService& service,
                                           const front::StatusConfig& config,
                                           front::StatusFeedStats& stats)
    : service_(service), feed_(config.feed_queue, stats) {
  service_.on_status_event([this](const services::StatusEvent& e) { feed_.publish(e); });
}

DirectorStatusSource::~DirectorStatusSource() {
  service_.on_status_event(nullptr);
}

}  // namespace connswap::app
