// libFuzzer target for the untrusted inputs of src/migration: resume tokens, sealed
// snapshots and cluster key files, plus the state machine under arbitrary event sequences.
//
// Input: byte 0 picks the mode (migration_fuzz_common.h); the rest is that mode's bytes.
// Random tokens and snapshots almost never pass their MAC/tag, so two modes sign or seal
// the fuzzer's bytes with the real key to reach the checks and the protobuf parsing behind
// them. Besides "no crash, no sanitizer report" it checks: a redeemed token is refused
// the second time; an opened snapshot re-seals and re-opens to the same content; a parsed
// key file re-formats and re-parses to the same keys; the state machine never leaves a
// terminal state and its deadline is never in the past after on_timeout. Seeds:
// fuzz/corpus/migration (written by make_migration_seeds). Build and run: scripts/fuzz.sh.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <google/protobuf/stubs/logging.h>

#include "base/log.h"
#include "migration/detail/codec.h"
#include "migration/detail/crypto.h"
#include "migration/keys.h"
#include "migration/snapshot.h"
#include "migration/state_machine.h"
#include "migration/token.h"
#include "migration_fuzz_common.h"

namespace {

using connswap::Bytes;
using connswap::ByteSpan;
namespace fz = connswap::fuzz;
namespace mig = connswap::migration;

const mig::Keyring& keyring() {
  static const mig::Keyring* ring = [] {
    auto r = mig::load_keyring(fz::kClusterKeyFile);
    if (!r) {
      std::abort();
    }
    return new mig::Keyring(std::move(*r));
  }();
  return *ring;
}

// A counter, not getrandom: keeps runs reproducible.
mig::RandomFn counter_random() {
  return [n = std::uint8_t{0}](connswap::MutableByteSpan out) mutable {
    for (auto& b : out) {
      b = n++;
    }
  };
}

void check_token(ByteSpan token) {
  (void)mig::decode_token_unverified(token);
  mig::TokenVerifier verifier(keyring(), mig::TokenPolicy{.replay = {.capacity = 4}});
  for (std::uint64_t dt : {0, 1'000'000}) {
    auto first = verifier.redeem(token, fz::kConnectionId, fz::kNow + dt);
    if (first) {
      auto unverified = mig::decode_token_unverified(token);
      if (!unverified || unverified->nonce != first->nonce ||
          unverified->expires_at != first->expires_at) {
        std::abort();  // the verified and unverified decoders disagree
      }
      auto again = verifier.redeem(token, fz::kConnectionId, fz::kNow + dt);
      if (again || again.error().code != mig::MigrationErrc::kReplayed) {
        std::abort();  // a redeemed token must not redeem twice
      }
    }
  }
  (void)verifier.verify(token, "other-conn", fz::kNow);
}

void check_snapshot(ByteSpan sealed) {
  auto opened = mig::open_snapshot(keyring(), sealed, fz::kConnectionId);
  if (!opened) {
    return;
  }
  auto resealed = mig::seal_snapshot(keyring(), *opened, counter_random());
  if (!resealed) {
    std::abort();  // whatever opens must seal again
  }
  auto again = mig::open_snapshot(keyring(), *resealed, fz::kConnectionId);
  if (!again || again->next_seq != opened->next_seq || again->window != opened->window ||
      again->request.prompt != opened->request.prompt ||
      again->request.params != opened->request.params || again->stream_id != opened->stream_id) {
    std::abort();
  }
}

void check_key_file(ByteSpan input) {
  auto keys = mig::parse_key_file(connswap::as_string(input));
  if (!keys) {
    return;
  }
  if (!mig::Keyring::create(*keys)) {
    std::abort();  // parse_key_file already enforces Keyring's rules
  }
  auto again = mig::parse_key_file(mig::format_key_file(*keys));
  if (!again || again->size() != keys->size()) {
    std::abort();
  }
  for (std::size_t i = 0; i < keys->size(); ++i) {
    if ((*again)[i].id != (*keys)[i].id || connswap::to_hex((*again)[i].secret.bytes()) !=
                                               connswap::to_hex((*keys)[i].secret.bytes())) {
      std::abort();
    }
  }
}

void sign_and_check(ByteSpan body) {
  Bytes token(body.begin(), body.end());
  const auto mac = mig::detail::hmac_sha256(keyring().current().token_mac.bytes(), body);
  token.insert(token.end(), mac.begin(), mac.end());
  check_token(token);
}

void seal_and_check(ByteSpan plaintext) {
  const mig::DerivedKeys& key = keyring().current();
  Bytes sealed = {'C', 'S', 1};
  connswap::migration::detail::put_str8(sealed, key.id);
  const Bytes header = sealed;
  Bytes aad = header;
  aad.insert(aad.end(), fz::kConnectionId.begin(), fz::kConnectionId.end());
  const std::uint8_t nonce[12] = {};
  auto body = mig::detail::aes256gcm_seal(key.snapshot_aead.bytes(), nonce, aad, plaintext);
  if (!body) {
    std::abort();
  }
  sealed.insert(sealed.end(), std::begin(nonce), std::end(nonce));
  sealed.insert(sealed.end(), body->begin(), body->end());
  check_snapshot(sealed);
}

void drive_state_machine(ByteSpan input) {
  mig::MigrationConfig config;
  config.migration_limit = 2;
  config.history_limit = 4;
  connswap::Timestamp now = 0;
  mig::MigrationStateMachine m(config, "fuzz/1", now);
  for (std::uint8_t b : input) {
    const bool was_terminal = m.terminal();
    if (b & 0x80) {  // clock step of (b & 0x7f) x 100 ms, then the timer
      now += (b & 0x7f) * 100 * connswap::kMillisecond;
      (void)m.on_timeout(now);
      if (m.deadline() <= now) {
        std::abort();  // a fired timeout always moves to a state with a later deadline
      }
    } else {
      (void)m.on_event(static_cast<mig::MigrationEvent>(b % mig::kEventCount), "fuzz", now);
    }
    if ((was_terminal && !m.terminal()) || m.history().size() > config.history_limit ||
        m.failovers() > config.migration_limit) {
      std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  connswap::log::set_level("off");           // illegal transitions log warnings
  google::protobuf::SetLogHandler(nullptr);  // invalid UTF-8 in a plaintext logs an error
  (void)keyring();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const ByteSpan rest(data + 1, size - 1);
  switch (data[0] % fz::kModeCount) {
    case fz::kToken:
      check_token(rest);
      break;
    case fz::kSealedSnapshot:
      check_snapshot(rest);
      break;
    case fz::kKeyFile:
      check_key_file(rest);
      break;
    case fz::kSignedTokenBody:
      sign_and_check(rest);
      break;
    case fz::kSnapshotPlaintext:
      seal_and_check(rest);
      break;
    default:
      drive_state_machine(rest);
      break;
  }
  return 0;
}
