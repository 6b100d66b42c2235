#include "worker/worker_stream.h"

#include <string>
#include <utility>
#include <variant>

namespace connswap::worker {
namespace {

// Out of line and cold: keeps the per-token path's frame small.
[[gnu::cold, gnu::noinline]] ErrorItem sequence_error(std::uint64_t got, std::uint64_t expected) {
  return ErrorItem{
      ErrorCause::kProtocol,
      "token source sent seq " + std::to_string(got) + ", expected " + std::to_string(expected)};
}

}  // namespace

WorkerStream::WorkerStream(std::unique_ptr<TokenStream> source, std::uint64_t start_seq)
    : source_(std::move(source)), next_seq_(start_seq) {}

WorkerStream::~WorkerStream() {
  cancel();
}

std::optional<WorkerItem> WorkerStream::poll(Timestamp now, FailureAction action) {
  if (finished_ || hung_) {
    return std::nullopt;
  }
  switch (action) {
    case FailureAction::kError:
      cancel();
      return ErrorItem{ErrorCause::kInjected, "simulated worker failure"};
    case FailureAction::kHang:
      cancel();  // a hung worker reads nothing more; do not keep the source busy
      hung_ = true;
      return std::nullopt;
    case FailureAction::kCrash:
      return std::nullopt;  // the binding exits the process
    case FailureAction::kServe:
      break;
  }
  return from_source(now);
}

// One return object on every path, so the item is built in the caller's slot (NRVO): this
// is the per-token path.
std::optional<WorkerItem> WorkerStream::from_source(Timestamp now) {
  std::optional<WorkerItem> item = source_->poll(now);
  if (!item) {
    return item;
  }
  auto* t = std::get_if<TokenItem>(&*item);
  if (t == nullptr) {
    finished_ = true;  // Error or Done ends the stream
  } else if (t->seq == next_seq_) {
    ++next_seq_;
  } else {
    cancel();
    item = sequence_error(t->seq, next_seq_);
  }
  return item;
}

Timestamp WorkerStream::deadline() const {
  return finished_ || hung_ ? kNever : source_->deadline();
}

void WorkerStream::cancel() {
  if (source_ && !finished_ && !hung_) {
    source_->cancel();
  }
  finished_ = true;
}

}  // namespace connswap::worker
