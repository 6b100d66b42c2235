// DirectorService, status part: the typed snapshot for operators (director_status.h),
// gathered from the pool, the session book and the StatusBook.

#include "migration/state_machine.h"
#include "services/detail/director_impl.h"

namespace connswap::services {

std::vector<StatusWorker> DirectorService::worker_status() const {
  return impl_->status_.workers(impl_->pool(), impl_->now_());
}

// One pass over the session book's open streams (made current first: logically const).
std::vector<StatusStream> DirectorService::stream_status() const {
  const Timestamp now = impl_->now_();
  impl_->book_all_tokens();
  std::vector<StatusStream> out;
  for (const migration::SessionInfo& session : impl_->sessions_.list()) {
    for (const auto& [id, stream] : session.streams) {
      StatusStream s{.connection_id = session.connection_id,
                     .stream_id = id,
                     .state = std::string(migration::to_string(stream.state)),
                     .worker = stream.worker,
                     .tokens = stream.tokens,
                     .migration_count = stream.migrations,
                     .migrations = {},
                     .age = now > stream.opened_at ? now - stream.opened_at : 0};
      if (auto key = impl_->clients_.key_of(session.connection_id, id)) {
        s.migrations = impl_->status_.migrations(*key, now);
      }
      out.push_back(std::move(s));
    }
  }
  return out;
}

GapHistogram DirectorService::gap_histogram() const {
  return impl_->status_.gaps();
}

void DirectorService::on_status_event(std::function<void(const StatusEvent&)> fn) {
  impl_->status_.set_observer(std::move(fn));
  impl_->status_.poll_workers(impl_->pool());
}

}  // namespace connswap::services
