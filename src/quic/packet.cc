// Stateless packet helpers for the server endpoint's dispatcher.

#include "quic/packet.h"

#include <algorithm>
#include <array>
#include <iterator>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>

#include "base/random.h"

namespace connswap::quic {
namespace {

// RFC 9000 §10.3: the smallest stateless reset is the first byte, 4 unpredictable bytes
// and the 16-byte token, 21 bytes in all; §14.1: answer VN only to >= 1200-byte datagrams.
constexpr std::size_t kMinStatelessReset =
    NGTCP2_MIN_STATELESS_RESET_RANDLEN + NGTCP2_STATELESS_RESET_TOKENLEN;
constexpr std::size_t kMaxStatelessReset = 64;
constexpr std::size_t kMinInitialDatagram = 1200;
constexpr std::string_view kStaticSecretLabel = "connswap quic static secret v1";

}  // namespace

Result<PacketHeaderInfo> decode_header(ByteSpan datagram) {
  if (datagram.empty()) {
    return make_error(Errc::kProtocol, "empty datagram");
  }
  ngtcp2_version_cid vc{};
  int rv = ngtcp2_pkt_decode_version_cid(&vc, datagram.data(), datagram.size(), kServerCidLen);
  if (rv != 0 && rv != NGTCP2_ERR_VERSION_NEGOTIATION) {
    return make_error(Errc::kProtocol, "undecodable QUIC header");
  }
  PacketHeaderInfo info;
  info.dcid.assign(vc.dcid, vc.dcid + vc.dcidlen);
  info.long_header = (datagram[0] & 0x80) != 0;
  info.version = vc.version;
  info.supported_version = rv == 0;
  return info;
}

bool accept_initial(ByteSpan datagram) {
  if (datagram.empty()) {
    return false;
  }
  ngtcp2_pkt_hd hd{};
  return ngtcp2_accept(&hd, datagram.data(), datagram.size()) == 0;
}

Result<std::size_t> write_stateless_reset(MutableByteSpan out,
                                          ByteSpan static_secret,
                                          ByteSpan dcid,
                                          std::size_t received_len) {
  if (dcid.empty() || dcid.size() > NGTCP2_MAX_CIDLEN) {
    return make_error(Errc::kInvalidArgument, "bad connection id length");
  }
  // Smaller than what we received, so two endpoints cannot loop resetting each other.
  if (received_len <= kMinStatelessReset) {
    return std::size_t{0};
  }
  std::size_t len = std::min({received_len - 1, kMaxStatelessReset, out.size()});
  if (len < kMinStatelessReset) {
    return make_error(Errc::kInvalidArgument, "output buffer too small");
  }
  ngtcp2_cid cid{};
  ngtcp2_cid_init(&cid, dcid.data(), dcid.size());
  std::array<std::uint8_t, NGTCP2_STATELESS_RESET_TOKENLEN> token{};
  if (ngtcp2_crypto_generate_stateless_reset_token(
          token.data(), static_secret.data(), static_secret.size(), &cid) != 0) {
    return make_error(Errc::kInternal, "cannot derive a stateless reset token");
  }
  // ngtcp2 takes the first byte from `rand` too (it then fixes the two top bits).
  std::array<std::uint8_t, kMaxStatelessReset> rand{};
  std::size_t randlen = len - NGTCP2_STATELESS_RESET_TOKENLEN;
  fill_random({rand.data(), randlen});
  ngtcp2_ssize n =
      ngtcp2_pkt_write_stateless_reset(out.data(), len, token.data(), rand.data(), randlen);
  if (n < 0) {
    return make_error(Errc::kInternal, ngtcp2_strerror(static_cast<int>(n)));
  }
  return static_cast<std::size_t>(n);
}

Result<std::size_t> write_version_negotiation(MutableByteSpan out, ByteSpan datagram) {
  if (datagram.empty() || (datagram[0] & 0x80) == 0) {
    return make_error(Errc::kProtocol, "not a long header packet");
  }
  if (datagram.size() < kMinInitialDatagram) {
    return std::size_t{0};
  }
  ngtcp2_version_cid vc{};
  int rv = ngtcp2_pkt_decode_version_cid(&vc, datagram.data(), datagram.size(), kServerCidLen);
  if (rv != NGTCP2_ERR_VERSION_NEGOTIATION) {
    return make_error(Errc::kProtocol, "packet does not call for version negotiation");
  }
  std::uint8_t unused = 0;
  fill_random({&unused, 1});
  const std::uint32_t versions[] = {NGTCP2_PROTO_VER_V1};
  // The answer swaps the connection ids (RFC 9000 §17.2.1).
  ngtcp2_ssize n = ngtcp2_pkt_write_version_negotiation(out.data(),
                                                        out.size(),
                                                        unused,
                                                        vc.scid,
                                                        vc.scidlen,
                                                        vc.dcid,
                                                        vc.dcidlen,
                                                        versions,
                                                        std::size(versions));
  if (n < 0) {
    return make_error(Errc::kInvalidArgument, ngtcp2_strerror(static_cast<int>(n)));
  }
  return static_cast<std::size_t>(n);
}

Bytes derive_static_secret(ByteSpan key_material) {
  Bytes out(32);
  // HMAC-SHA-256 keyed with the label; the key material is the message.
  int rv = gnutls_hmac_fast(GNUTLS_MAC_SHA256,
                            kStaticSecretLabel.data(),
                            kStaticSecretLabel.size(),
                            key_material.data(),
                            key_material.size(),
                            out.data());
  if (rv < 0) {
    // SHA-256 is always available in GnuTLS; fall back to randomness rather than zeros.
    fill_random(out);
  }
  return out;
}

}  // namespace connswap::quic
