#include "rpc/call.h"

#include "rpc/detail/core.h"

namespace connswap::rpc {
namespace {

Unexpected<Error> closed() {
  return make_error(Errc::kClosed, "call ended or session gone");
}

}  // namespace

// Every operation locks the Core for its duration, so a callback that destroys the
// Session cannot free the Core under our feet.

Result<void> Call::write(ByteSpan message) {
  auto core = core_.lock();
  return core ? core->write(id_, message) : closed();
}

Result<void> Call::half_close() {
  auto core = core_.lock();
  return core ? core->half_close(id_) : closed();
}

Result<void> Call::finish(const Status& status) {
  auto core = core_.lock();
  return core ? core->finish(id_, status) : closed();
}

void Call::cancel(const Status& why) {
  if (auto core = core_.lock()) {
    core->cancel(id_, why);
  }
}

void Call::on_read(ReadFn fn) {
  auto core = core_.lock();
  if (detail::CallState* call = core ? core->find(id_) : nullptr) {
    call->on_read = std::move(fn);
    core->kick(id_);
  }
}

void Call::on_done(DoneFn fn) {
  auto core = core_.lock();
  if (detail::CallState* call = core ? core->find(id_) : nullptr) {
    call->on_done = std::move(fn);
  }
}

void Call::on_writable(WritableFn fn) {
  auto core = core_.lock();
  if (detail::CallState* call = core ? core->find(id_) : nullptr) {
    call->on_writable = std::move(fn);
  }
}

void Call::pause_reading() {
  if (auto core = core_.lock()) {
    core->set_paused(id_, true);
  }
}

void Call::resume_reading() {
  if (auto core = core_.lock()) {
    core->set_paused(id_, false);
  }
}

void Call::resume_reading(std::size_t max_bytes) {
  if (auto core = core_.lock()) {
    core->set_paused(id_, false, max_bytes == 0 ? 1 : max_bytes);
  }
}

bool Call::reading_paused() const {
  auto core = core_.lock();
  const detail::CallState* call = core ? core->find(id_) : nullptr;
  return call != nullptr && call->paused;
}

bool Call::done() const {
  auto core = core_.lock();
  return !core || core->find(id_) == nullptr;
}

std::size_t Call::queued_bytes() const {
  auto core = core_.lock();
  const detail::CallState* call = core ? core->find(id_) : nullptr;
  return call ? core->queued_bytes(*call) : 0;
}

wire::CallHeader Call::header() const {
  auto core = core_.lock();
  const detail::CallState* call = core ? core->find(id_) : nullptr;
  return call ? call->header : wire::CallHeader{};
}

PeerInfo Call::peer() const {
  auto core = core_.lock();
  return core ? core->peer() : PeerInfo{};
}

Timestamp Call::deadline() const {
  auto core = core_.lock();
  const detail::CallState* call = core ? core->find(id_) : nullptr;
  return call ? call->deadline : kNever;
}

}  // namespace connswap::rpc
