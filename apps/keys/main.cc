// connswap-keys: writes or rotates a cluster key file (docs/PROTOCOL.md §8.1), the secret
// every director of a cluster shares for resume tokens and state snapshots.

#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "key_file_io.h"
#include "migration/keys.h"

namespace {

namespace fs = std::filesystem;
namespace mig = connswap::migration;

// Exit codes (STYLE.md 2.3): 0 ok, 1 I/O failure, 2 bad input.
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

int fail(int code, const std::string& message) {
  std::fprintf(stderr, "connswap-keys: %s\n", message.c_str());
  return code;
}

std::string default_id() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return "k" + std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now).count());
}

// main() without the last-resort catch below.
int run_main(int argc, char** argv) {
  std::string out;
  std::string id;
  bool rotate = false;
  bool force = false;
  std::size_t keep = 3;
  CLI::App app{
      "Writes a cluster key file: one 32-byte random key per line, '<key-id> <64 hex digits>',\n"
      "newest first. The first key signs resume tokens and seals snapshots; older keys are\n"
      "still accepted, which is how keys rotate. Copy the file to every director (mode 0600).",
      "connswap-keys"};
  app.add_option("-o,--out", out, "Key file to write (or to rotate)")
      ->required()
      ->type_name("FILE");
  app.add_option("-i,--id", id, "Id of the new key (default: k<unix-seconds>)")->type_name("ID");
  app.add_flag("-r,--rotate", rotate, "Prepend a new key to the existing FILE, keeping old ones");
  app.add_option("-k,--keep", keep, "With --rotate: keep at most N keys, newest first")
      ->check(CLI::Range(1, 64))
      ->capture_default_str()
      ->type_name("N");
  app.add_flag("-f,--force", force, "Replace an existing FILE with a fresh single-key file");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {
      return app.exit(e);  // --help
    }
    return fail(kExitUsage, std::string(e.what()) + " (see --help)");
  }
  std::vector<mig::ClusterKey> keys;
  const bool exists = fs::exists(out);
  if (rotate) {
    auto text = connswap::keys_app::read_key_file(out);
    if (!text) {
      return fail(kExitUsage, "--rotate needs an existing key file: " + out);
    }
    auto old = mig::parse_key_file(*text);
    if (!old) {
      return fail(kExitUsage, out + ": " + old.error().detail);
    }
    keys = std::move(*old);
  } else if (exists && !force) {
    return fail(kExitUsage, out + " exists (use --rotate to add a key, --force to replace it)");
  }
  auto key = mig::generate_cluster_key(id.empty() ? default_id() : id);
  if (!key) {
    return fail(kExitUsage, key.error().detail);
  }
  for (const mig::ClusterKey& k : keys) {
    if (k.id == key->id) {
      return fail(kExitUsage, "key id '" + k.id + "' is already in " + out);
    }
  }
  keys.insert(keys.begin(), std::move(*key));
  if (keys.size() > keep && rotate) {
    keys.resize(keep);
  }
  std::string error;
  if (!connswap::keys_app::write_atomically(out, mig::format_key_file(keys), error)) {
    return fail(kExitFailure, error);
  }
  std::printf(
      "wrote %s: %zu key(s), signing key '%s'\n", out.c_str(), keys.size(), keys[0].id.c_str());
  return 0;
}

}  // namespace

// STYLE.md 2.3: main catches what the control plane throws (a CLI11 construction error,
// std::filesystem, fmt) and reports it on one line instead of std::terminate.
int main(int argc, char** argv) {
  try {
    return run_main(argc, argv);
  } catch (const std::exception& e) {
    return fail(kExitFailure, e.what());
  }
}
