#include "migration/snapshot.h"

#include <limits>

#include <connswap/v1/migration.pb.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "migration/detail/codec.h"
#include "migration/detail/crypto.h"
#include "migration/token.h"

namespace connswap::migration {
namespace {

// "CS" + version 2 (PROTOCOL.md §8.3): version 2 adds the subkey salt.
constexpr std::uint8_t kMagic0 = 'C';
constexpr std::uint8_t kMagic1 = 'S';
constexpr std::uint8_t kVersion = 2;
constexpr std::string_view kSubkeySalt = "connswap/v1 snapshot subkey";

Unexpected<MigrationError> malformed(std::string what) {
  return make_migration_error(MigrationErrc::kMalformed, std::move(what));
}

// Deterministic serialization: map entries sorted by key, so equal messages give equal
// bytes (within one protobuf implementation, which is what a cluster runs).
std::string serialize_deterministic(const google::protobuf::MessageLite& message) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return out;
}

void to_proto(const GenerateRequest& in, v1::GenerateRequest& out) {
  out.set_prompt(in.prompt);
  out.set_max_tokens(in.max_tokens);
  out.set_start_seq(in.start_seq == 0 ? kFirstSeq : in.start_seq);
  for (const auto& [key, value] : in.params) {
    (*out.mutable_params())[key] = value;
  }
}

GenerateRequest from_proto(const v1::GenerateRequest& in) {
  GenerateRequest out;
  out.prompt = in.prompt();
  out.max_tokens = in.max_tokens();
  out.start_seq = in.start_seq() == 0 ? kFirstSeq : in.start_seq();
  out.params.insert(in.params().begin(), in.params().end());
  return out;
}

// The envelope header (magic, version, key id, subkey salt): authenticated as part of the
// AAD.
Bytes header(std::string_view key_id, ByteSpan salt) {
  Bytes out;
  detail::put_u8(out, kMagic0);
  detail::put_u8(out, kMagic1);
  detail::put_u8(out, kVersion);
  detail::put_str8(out, key_id);
  detail::put_bytes(out, salt);
  return out;
}

// The AES-256-GCM key of one seal (issue 14 item 8): HKDF-SHA256 of the cluster key's
// snapshot key with the seal's own random salt as info. Every seal has its own key, so
// random 96-bit nonces never meet under one key, however many seals the cluster makes;
// any director holding the cluster key derives it from the header.
SecretKey subkey(const DerivedKeys& key, ByteSpan salt) {
  SecretKey out;
  detail::hkdf_sha256(key.snapshot_aead.bytes(), kSubkeySalt, as_string(salt), out.mutable_bytes());
  return out;
}

Bytes aad(ByteSpan header_bytes, std::string_view connection_id) {
  Bytes out(header_bytes.begin(), header_bytes.end());
  detail::put_bytes(out, as_bytes(connection_id));
  return out;
}

MResult<StreamSnapshot> from_plaintext(ByteSpan plaintext, std::string_view connection_id) {
  v1::StreamSnapshot pb;
  if (plaintext.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()) ||
      !pb.ParseFromArray(plaintext.data(), static_cast<int>(plaintext.size()))) {
    return malformed("snapshot plaintext is not a connswap.v1.StreamSnapshot");
  }
  if (pb.connection_id() != connection_id) {
    return malformed("snapshot names another connection id than its associated data");
  }
  if (pb.next_seq() == 0 || pb.window_size() > static_cast<int>(kMaxSnapshotWindow) ||
      static_cast<std::uint64_t>(pb.window_size()) > pb.next_seq() - 1) {
    return malformed("snapshot position is inconsistent (next_seq 0 or window too long)");
  }
  StreamSnapshot out;
  out.connection_id = pb.connection_id();
  out.stream_id = pb.stream_id();
  out.request = from_proto(pb.request());
  out.next_seq = pb.next_seq();
  out.window.assign(pb.window().begin(), pb.window().end());
  out.migrations = pb.migrations();
  out.created_at = pb.created_at();
  out.failovers = pb.failovers();
  return out;
}

}  // namespace

Digest request_digest(const GenerateRequest& request) {
  v1::GenerateRequest pb;
  to_proto(request, pb);
  const std::string bytes = serialize_deterministic(pb);
  return detail::sha256(as_bytes(bytes));
}

MResult<Bytes> seal_snapshot(const Keyring& keyring,
                             const StreamSnapshot& snapshot,
                             const RandomFn& random) {
  if (!valid_connection_id(snapshot.connection_id)) {
    return make_migration_error(MigrationErrc::kInvalidArgument,
                                "connection id must be 1-255 printable ASCII characters");
  }
  if (snapshot.next_seq == 0 || snapshot.window.size() > kMaxSnapshotWindow ||
      snapshot.window.size() > snapshot.next_seq - 1) {
    return make_migration_error(MigrationErrc::kInvalidArgument,
                                "snapshot needs next_seq >= 1 and a window of at most "
                                "min(next_seq - 1, 65536) tokens");
  }
  v1::StreamSnapshot pb;
  pb.set_connection_id(snapshot.connection_id);
  pb.set_stream_id(snapshot.stream_id);
  to_proto(snapshot.request, *pb.mutable_request());
  pb.set_next_seq(snapshot.next_seq);
  for (const std::string& token : snapshot.window) {
    pb.add_window(token);
  }
  pb.set_migrations(snapshot.migrations);
  pb.set_created_at(snapshot.created_at);
  pb.set_failovers(snapshot.failovers);
  std::string plaintext = serialize_deterministic(pb);

  const DerivedKeys& key = keyring.current();
  std::array<std::uint8_t, kSnapshotSaltSize> salt{};
  fill_from(random, salt);
  Bytes out = header(key.id, salt);
  std::array<std::uint8_t, detail::kGcmNonceSize> nonce{};
  fill_from(random, nonce);
  const SecretKey seal_key = subkey(key, salt);
  auto sealed = detail::aes256gcm_seal(
      seal_key.bytes(), nonce, aad(out, snapshot.connection_id), as_bytes(plaintext));
  detail::wipe({reinterpret_cast<std::uint8_t*>(plaintext.data()), plaintext.size()});
  if (!sealed) {
    return Unexpected(std::move(sealed).error());
  }
  detail::put_bytes(out, nonce);
  detail::put_bytes(out, *sealed);
  if (out.size() > kMaxSealedSnapshotSize) {
    return make_migration_error(
        MigrationErrc::kInvalidArgument,
        "sealed snapshot above " + std::to_string(kMaxSealedSnapshotSize) + " bytes");
  }
  return out;
}

MResult<StreamSnapshot> open_snapshot(const Keyring& keyring,
                                      ByteSpan sealed,
                                      std::string_view connection_id) {
  if (sealed.size() > kMaxSealedSnapshotSize) {
    return malformed("sealed snapshot is " + std::to_string(sealed.size()) + " bytes, above " +
                     std::to_string(kMaxSealedSnapshotSize));
  }
  detail::Reader r(sealed);
  std::uint8_t m0 = 0;
  std::uint8_t m1 = 0;
  std::uint8_t version = 0;
  if (!r.u8(m0) || !r.u8(m1) || m0 != kMagic0 || m1 != kMagic1) {
    return malformed("not a connswap snapshot (bad magic)");
  }
  if (!r.u8(version)) {
    return malformed("snapshot truncated before its version");
  }
  if (version != kVersion) {
    return make_migration_error(
        MigrationErrc::kUnsupportedVersion,
        "snapshot version " + std::to_string(version) + " (this build reads version 2)");
  }
  std::string key_id;
  if (!r.str8(key_id, 1, kMaxKeyIdSize) || !valid_key_id(key_id)) {
    return malformed("snapshot key id is missing or invalid");
  }
  ByteSpan salt;
  if (!r.take(kSnapshotSaltSize, salt)) {
    return malformed("snapshot truncated in its subkey salt");
  }
  const ByteSpan header_bytes = sealed.first(r.pos());
  ByteSpan nonce;
  ByteSpan body;
  if (!r.take(detail::kGcmNonceSize, nonce) || r.remaining() < detail::kGcmTagSize ||
      !r.take(r.remaining(), body)) {
    return malformed("snapshot truncated (nonce or tag missing)");
  }
  const DerivedKeys* key = keyring.find(key_id);
  if (key == nullptr) {
    return make_migration_error(MigrationErrc::kUnknownKey,
                                "snapshot key id '" + key_id + "' is not in the keyring");
  }
  const SecretKey open_key = subkey(*key, salt);
  auto plaintext =
      detail::aes256gcm_open(open_key.bytes(), nonce, aad(header_bytes, connection_id), body);
  if (!plaintext) {
    return Unexpected(std::move(plaintext).error());
  }
  auto out = from_plaintext(*plaintext, connection_id);
  detail::wipe(*plaintext);
  return out;
}

}  // namespace connswap::migration
