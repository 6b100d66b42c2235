#include "migration/error.h"

#include <array>

namespace connswap::migration {

std::string_view to_string(MigrationErrc code) {
  constexpr std::array<std::string_view, 19> kNames = {"illegal_transition",
                                                       "invalid_argument",
                                                       "not_found",
                                                       "resource_exhausted",
                                                       "bad_key_file",
                                                       "malformed",
                                                       "unsupported_version",
                                                       "unknown_key",
                                                       "bad_signature",
                                                       "not_yet_valid",
                                                       "expired",
                                                       "wrong_connection",
                                                       "replayed",
                                                       "replay_cache_full",
                                                       "decrypt_failed",
                                                       "mismatch",
                                                       "crypto",
                                                       "replay_connection_limit",
                                                       "replay_stream_limit"};
  const auto i = static_cast<std::size_t>(code);
  return i < kNames.size() ? kNames[i] : "unknown";
}

std::string MigrationError::message() const {
  std::string out(to_string(code));
  if (!detail.empty()) {
    out += ": ";
    out += detail;
  }
  return out;
}

MigrationError::operator Error() const {
  Errc errc = Errc::kInvalidArgument;
  switch (code) {
    case MigrationErrc::kIllegalTransition:
    case MigrationErrc::kCrypto:
      errc = Errc::kInternal;
      break;
    case MigrationErrc::kNotFound:
      errc = Errc::kNotFound;
      break;
    case MigrationErrc::kResourceExhausted:
    case MigrationErrc::kReplayCacheFull:
    case MigrationErrc::kReplayConnectionLimit:
    case MigrationErrc::kReplayStreamLimit:
      errc = Errc::kResourceExhausted;
      break;
    default:
      break;
  }
  return Error{errc, message()};
}

}  // namespace connswap::migration
