// Writes the seed corpus of migration_fuzz into a directory (fuzz/corpus/migration):
// one valid and one broken input per mode, built with the fuzz target's fixed key so the
// valid ones pass every check. Deterministic (counter nonces). Not run by CI; rerun when
// a format changes: build/fuzz/fuzz/make_migration_seeds fuzz/corpus/migration

#include <cstdio>
#include <fstream>
#include <string>

#include <connswap/v1/migration.pb.h>

#include "migration/keys.h"
#include "migration/resume.h"
#include "migration/snapshot.h"
#include "migration/token.h"
#include "migration_fuzz_common.h"

namespace {

using connswap::Bytes;
namespace fz = connswap::fuzz;
namespace mig = connswap::migration;

void write(const std::string& dir, const std::string& name, std::uint8_t mode, const Bytes& body) {
  std::ofstream out(dir + "/" + name, std::ios::binary);
  out.put(static_cast<char>(mode));
  out.write(reinterpret_cast<const char*>(body.data()), static_cast<std::streamsize>(body.size()));
}

Bytes bytes_of(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_migration_seeds DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  auto ring = mig::load_keyring(fz::kClusterKeyFile);
  if (!ring) {
    return 1;
  }
  std::uint8_t n = 0;
  mig::RandomFn counter = [&n](connswap::MutableByteSpan out) {
    for (auto& b : out) {
      b = n++;
    }
  };
  mig::StreamSnapshot snap;
  snap.connection_id = std::string(fz::kConnectionId);
  snap.stream_id = 5;
  snap.request.prompt = "hello";
  snap.request.max_tokens = 50;
  snap.request.params = {{"temperature", "0.5"}};
  snap.next_seq = 4;
  snap.window = {"a", "b", "c"};
  snap.migrations = 1;
  snap.created_at = fz::kNow;
  auto ticket = mig::issue_resume(*ring, snap, fz::kNow - 10, 600, counter);
  if (!ticket) {
    return 1;
  }
  write(dir, "token_valid", fz::kToken, ticket->token);
  write(
      dir, "token_truncated", fz::kToken, Bytes(ticket->token.begin(), ticket->token.begin() + 40));
  write(dir, "snapshot_valid", fz::kSealedSnapshot, ticket->snapshot);
  Bytes tampered = ticket->snapshot;
  tampered[tampered.size() / 2] ^= 0x20;
  write(dir, "snapshot_tampered", fz::kSealedSnapshot, tampered);
  write(dir, "keyfile_valid", fz::kKeyFile, bytes_of(fz::kClusterKeyFile));
  write(dir,
        "keyfile_bad",
        fz::kKeyFile,
        bytes_of("# comment\nk1 0011\nk1 "
                 "zz112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"));
  write(dir,
        "token_body",
        fz::kSignedTokenBody,
        Bytes(ticket->token.begin(), ticket->token.end() - 32));
  connswap::v1::StreamSnapshot pb;
  pb.set_connection_id(std::string(fz::kConnectionId));
  pb.set_stream_id(5);
  pb.mutable_request()->set_prompt("hello");
  pb.mutable_request()->set_max_tokens(50);
  pb.set_next_seq(3);
  pb.add_window("x");
  pb.add_window("y");
  const std::string plain = pb.SerializeAsString();
  write(dir, "snapshot_plaintext", fz::kSnapshotPlaintext, bytes_of(plain));
  // worker_selected, resumed, a stall suspicion, 2.5 s of clock, worker_selected, resumed, done.
  write(dir, "state_events", fz::kStateEvents, Bytes{0, 1, 2, 0x80 | 25, 0, 1, 8});
  std::printf("wrote seeds to %s\n", dir.c_str());
  return 0;
}
