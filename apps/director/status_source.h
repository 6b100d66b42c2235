#pragma once
// front::StatusSource over the DirectorService: the status page's snapshot and the live
// feed, which it fills from the service's status events while it lives.

#include "front/status_feed.h"
#include "front/status_source.h"
#include "services/director_service.h"

namespace connswap::app {

class DirectorStatusSource final : public front::StatusSource {
 public:
  // `service` and `stats` outlive this; it is the service's status observer until destroyed.
  DirectorStatusSource(services::DirectorService& service,
                       const front::StatusConfig& config,
                       front::StatusFeedStats& stats);
  ~DirectorStatusSource() override;
  DirectorStatusSource(const DirectorStatusSource&) = delete;
  DirectorStatusSource& operator=(const DirectorStatusSource&) = delete;

  // front::StatusSource
  std::vector<services::StatusWorker> workers() const override { return service_.worker_status(); }
  std::vector<services::StatusStream> streams() const override { return service_.stream_status(); }
  services::GapHistogram gaps() const override { return service_.gap_histogram(); }
  front::StatusFeed& feed() override { return feed_; }

 private:
  services::DirectorService& service_;
  front::StatusFeed feed_;
};

}  // namespace connswap::app
