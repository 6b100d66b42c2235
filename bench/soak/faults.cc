#include "faults.h"

namespace connswap::soak {

const char* to_string(FaultKind kind) {
  switch (kind) {
    case FaultKind::kKill:
      return "kill";
    case FaultKind::kStop:
      return "stop";
    case FaultKind::kTerm:
      return "term";
    case FaultKind::kError:
      return "error";
    case FaultKind::kDirector:
      return "director";
  }
  return "?";
}

std::string attribute(const Gap& gap, const std::vector<Fault>& faults, Duration slack) {
  const Fault* best = nullptr;
  for (const Fault& f : faults) {
    if (f.at + slack < gap.from || f.earliest > gap.to + slack) {
      continue;
    }
    const bool director = f.kind == FaultKind::kDirector;
    if ((director && gap.cause == "resume") || (!director && f.target == gap.worker)) {
      best = &f;  // faults are in time order: the latest wins
    }
  }
  return best != nullptr ? std::string(to_string(best->kind)) : "none (" + gap.cause + ")";
}

}  // namespace connswap::soak
