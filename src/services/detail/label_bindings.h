#pragma once
// Which certificate owns each worker label (issue 14 item 5, docs/RELIABILITY.md §5): the
// first certificate (by SHA-256 fingerprint) to register a label owns it; Register,
// Heartbeat and Drain for that label from any other certificate are refused while the
// owner's worker is not lost. Once the director has marked it lost (heartbeat expired or
// its connection failed), the next registration rebinds the label. Not for use outside
// src/services.

#include <map>
#include <string>
#include <string_view>

namespace connswap::services::detail {

class LabelBindings {
 public:
  // Register: "" if `fingerprint` may register `label` (binding it when unbound, or when
  // `owner_lost`), else the refusal message (PERMISSION_DENIED).
  std::string claim(std::string_view label, std::string_view fingerprint, bool owner_lost);
  // Heartbeat and Drain: "" if `label` is unbound or bound to `fingerprint`, else the
  // refusal message (PERMISSION_DENIED). Never binds.
  std::string check(std::string_view label, std::string_view fingerprint) const;
  std::size_t size() const { return owners_.size(); }

 private:
  std::map<std::string, std::string, std::less<>> owners_;  // label -> fingerprint
};

}  // namespace connswap::services::detail
