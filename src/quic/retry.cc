#include "quic/retry.h"

#include <array>

#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>

#include "base/random.h"
#include "quic/packet.h"

namespace connswap::quic {
namespace {

constexpr std::uint64_t kConnectionRefused = 0x2;  // RFC 9000 §20.1

ngtcp2_cid to_cid(const Bytes& bytes) {
  ngtcp2_cid cid{};
  ngtcp2_cid_init(&cid, bytes.data(), bytes.size());
  return cid;
}

Bytes from_cid(const ngtcp2_cid& cid) {
  return Bytes(cid.data, cid.data + cid.datalen);
}

}  // namespace

Result<InitialHeader> decode_initial(ByteSpan datagram) {
  ngtcp2_pkt_hd hd{};
  if (datagram.empty() || ngtcp2_accept(&hd, datagram.data(), datagram.size()) != 0) {
    return make_error(Errc::kProtocol, "not an acceptable client Initial");
  }
  InitialHeader h;
  h.version = hd.version;
  h.dcid = from_cid(hd.dcid);
  h.scid = from_cid(hd.scid);
  h.token.assign(hd.token.base, hd.token.base + hd.token.len);
  return h;
}

bool is_retry_token(ByteSpan token) {
  return !token.empty() && token[0] == NGTCP2_CRYPTO_TOKEN_MAGIC_RETRY;
}

Result<std::size_t> write_retry(MutableByteSpan out,
                                ByteSpan static_secret,
                                const InitialHeader& initial,
                                const Address& remote,
                                Timestamp now) {
  ngtcp2_cid retry_scid{};
  retry_scid.datalen = kServerCidLen;
  fill_random({retry_scid.data, kServerCidLen});
  const ngtcp2_cid odcid = to_cid(initial.dcid);
  const ngtcp2_cid dcid = to_cid(initial.scid);
  std::array<std::uint8_t, NGTCP2_CRYPTO_MAX_RETRY_TOKENLEN> token{};
  ngtcp2_ssize tokenlen = ngtcp2_crypto_generate_retry_token(token.data(),
                                                             static_secret.data(),
                                                             static_secret.size(),
                                                             initial.version,
                                                             remote.sa(),
                                                             remote.len,
                                                             &retry_scid,
                                                             &odcid,
                                                             now);
  if (tokenlen < 0) {
    return make_error(Errc::kInternal, "cannot generate a Retry token");
  }
  ngtcp2_ssize n = ngtcp2_crypto_write_retry(out.data(),
                                             out.size(),
                                             initial.version,
                                             &dcid,
                                             &retry_scid,
                                             &odcid,
                                             token.data(),
                                             static_cast<std::size_t>(tokenlen));
  if (n < 0) {
    return make_error(Errc::kInternal, "cannot write a Retry packet");
  }
  return static_cast<std::size_t>(n);
}

Result<Bytes> verify_retry_token(ByteSpan static_secret,
                                 const InitialHeader& initial,
                                 const Address& remote,
                                 Timestamp now) {
  if (!is_retry_token(initial.token)) {
    return make_error(Errc::kProtocol, "not a Retry token");
  }
  const ngtcp2_cid dcid = to_cid(initial.dcid);
  ngtcp2_cid odcid{};
  int rv = ngtcp2_crypto_verify_retry_token(&odcid,
                                            initial.token.data(),
                                            initial.token.size(),
                                            static_secret.data(),
                                            static_secret.size(),
                                            initial.version,
                                            remote.sa(),
                                            remote.len,
                                            &dcid,
                                            kRetryTokenLifetime,
                                            now);
  if (rv != 0) {
    return make_error(Errc::kProtocol, "invalid or expired Retry token");
  }
  return from_cid(odcid);
}

Result<std::size_t> write_refusal(MutableByteSpan out,
                                  const InitialHeader& initial,
                                  std::string_view reason) {
  // The answer goes to the client's SCID; its Initial keys derive from the DCID it chose.
  const ngtcp2_cid dcid = to_cid(initial.scid);
  const ngtcp2_cid scid = to_cid(initial.dcid);
  ngtcp2_ssize n =
      ngtcp2_crypto_write_connection_close(out.data(),
                                           out.size(),
                                           initial.version,
                                           &dcid,
                                           &scid,
                                           kConnectionRefused,
                                           reinterpret_cast<const std::uint8_t*>(reason.data()),
                                           reason.size());
  if (n < 0) {
    return make_error(Errc::kInternal, "cannot write a CONNECTION_CLOSE");
  }
  return static_cast<std::size_t>(n);
}

}  // namespace connswap::quic
