// ngtcp2 callback trampolines. They only record events and flags on Connection::Impl or free
// acknowledged buffers; they never call ngtcp2_conn_* (no re-entrancy, notes §2).

#include <cstring>

#include <ngtcp2/ngtcp2_crypto.h>

#include "base/random.h"
#include "quic/conn_impl.h"
#include "quic/tls_session.h"

namespace connswap::quic {
namespace {

using Impl = Connection::Impl;

Impl& impl_of(void* user_data) {
  return *static_cast<Impl*>(user_data);
}

Bytes cid_bytes(const ngtcp2_cid& cid) {
  return Bytes(cid.data, cid.data + cid.datalen);
}

int on_handshake_completed(ngtcp2_conn* /*conn*/, void* user_data) {
  Impl& c = impl_of(user_data);
  // GNUTLS_ALPN_MANDATORY makes GnuTLS fail a mismatch; this also catches a peer that sent
  // no ALPN extension at all.
  if (detail::selected_alpn(c.session) != c.tls->alpn()) {
    c.alpn_mismatch = true;
    return 0;
  }
  c.events.emplace_back(HandshakeCompleted{});
  return 0;
}

int on_recv_stream_data(ngtcp2_conn* /*conn*/,
                        uint32_t flags,
                        int64_t stream_id,
                        uint64_t /*offset*/,
                        const uint8_t* data,
                        size_t datalen,
                        void* user_data,
                        void* /*stream_user_data*/) {
  Impl& c = impl_of(user_data);
  bool fin = (flags & NGTCP2_STREAM_DATA_FLAG_FIN) != 0;
  c.events.emplace_back(StreamData{stream_id, Bytes(data, data + datalen), fin});
  return 0;
}

int on_acked_stream_data_offset(ngtcp2_conn* /*conn*/,
                                int64_t stream_id,
                                uint64_t offset,
                                uint64_t datalen,
                                void* user_data,
                                void* /*stream_user_data*/) {
  Impl& c = impl_of(user_data);
  detail::Stream* s = c.streams.find(stream_id);
  if (s == nullptr) {
    return 0;
  }
  s->send.ack_to(offset + datalen);
  c.note_buffered(stream_id, *s);
  return 0;
}

int on_stream_open(ngtcp2_conn* /*conn*/, int64_t stream_id, void* user_data) {
  Impl& c = impl_of(user_data);
  if (!ngtcp2_is_bidi_stream(stream_id)) {
    return 0;  // we allow no unidirectional streams
  }
  c.streams.open(stream_id);
  c.events.emplace_back(StreamOpened{stream_id});
  return 0;
}

int on_stream_close(ngtcp2_conn* /*conn*/,
                    uint32_t flags,
                    int64_t stream_id,
                    uint64_t app_error_code,
                    void* user_data,
                    void* /*stream_user_data*/) {
  Impl& c = impl_of(user_data);
  if ((flags & NGTCP2_STREAM_CLOSE_FLAG_APP_ERROR_CODE_SET) == 0) {
    app_error_code = kAppNoError;
  }
  c.streams.erase(stream_id);
  // Stream ids of the peer's streams have the low bit equal to the peer's role.
  bool peer_opened = ((stream_id & 1) == 0) == c.server;
  if (peer_opened && ngtcp2_is_bidi_stream(stream_id)) {
    ++c.stream_credit;
  }
  c.events.emplace_back(StreamClosed{stream_id, app_error_code});
  return 0;
}

int on_stream_reset(ngtcp2_conn* /*conn*/,
                    int64_t stream_id,
                    uint64_t /*final_size*/,
                    uint64_t app_error_code,
                    void* user_data,
                    void* /*stream_user_data*/) {
  impl_of(user_data).events.emplace_back(StreamReset{stream_id, app_error_code});
  return 0;
}

int on_extend_max_local_streams_bidi(ngtcp2_conn* /*conn*/,
                                     uint64_t /*max_streams*/,
                                     void* user_data) {
  Impl& c = impl_of(user_data);
  if (c.open_stream_failed) {
    c.open_stream_failed = false;
    c.events.emplace_back(StreamsAvailable{});
  }
  return 0;
}

int on_extend_max_stream_data(ngtcp2_conn* /*conn*/,
                              int64_t stream_id,
                              uint64_t /*max_data*/,
                              void* user_data,
                              void* /*stream_user_data*/) {
  Impl& c = impl_of(user_data);
  if (detail::Stream* s = c.streams.find(stream_id); s != nullptr && s->blocked) {
    s->blocked = false;
    c.streams.mark_ready(stream_id);
  }
  return 0;
}

void on_rand(uint8_t* dest, size_t destlen, const ngtcp2_rand_ctx* /*rand_ctx*/) {
  fill_random({dest, destlen});
}

int on_get_new_connection_id(
    ngtcp2_conn* /*conn*/, ngtcp2_cid* cid, uint8_t* token, size_t cidlen, void* user_data) {
  Impl& c = impl_of(user_data);
  cid->datalen = cidlen;
  fill_random({cid->data, cidlen});
  if (ngtcp2_crypto_generate_stateless_reset_token(
          token, c.static_secret.data(), c.static_secret.size(), cid) != 0) {
    return NGTCP2_ERR_CALLBACK_FAILURE;
  }
  c.cid_changes.push_back(CidChange{cid_bytes(*cid), true});
  return 0;
}

int on_remove_connection_id(ngtcp2_conn* /*conn*/, const ngtcp2_cid* cid, void* user_data) {
  impl_of(user_data).cid_changes.push_back(CidChange{cid_bytes(*cid), false});
  return 0;
}

int on_path_validation(ngtcp2_conn* /*conn*/,
                       uint32_t /*flags*/,
                       const ngtcp2_path* path,
                       ngtcp2_path_validation_result res,
                       void* user_data) {
  bool ok = res == NGTCP2_PATH_VALIDATION_RESULT_SUCCESS;
  impl_of(user_data).events.emplace_back(PathValidated{from_ngtcp2(*path), ok});
  return 0;
}

int on_recv_stateless_reset(ngtcp2_conn* /*conn*/,
                            const ngtcp2_pkt_stateless_reset* /*sr*/,
                            void* user_data) {
  impl_of(user_data).stateless_reset = true;
  return 0;
}

ngtcp2_callbacks common_callbacks() {
  ngtcp2_callbacks cb{};
  cb.recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb;
  cb.encrypt = ngtcp2_crypto_encrypt_cb;
  cb.decrypt = ngtcp2_crypto_decrypt_cb;
  cb.hp_mask = ngtcp2_crypto_hp_mask_cb;
  cb.update_key = ngtcp2_crypto_update_key_cb;
  cb.delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb;
  cb.delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb;
  cb.get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb;
  cb.version_negotiation = ngtcp2_crypto_version_negotiation_cb;
  cb.handshake_completed = on_handshake_completed;
  cb.recv_stream_data = on_recv_stream_data;
  cb.acked_stream_data_offset = on_acked_stream_data_offset;
  cb.stream_open = on_stream_open;
  cb.stream_close = on_stream_close;
  cb.stream_reset = on_stream_reset;
  cb.extend_max_local_streams_bidi = on_extend_max_local_streams_bidi;
  cb.extend_max_stream_data = on_extend_max_stream_data;
  cb.rand = on_rand;
  cb.get_new_connection_id = on_get_new_connection_id;
  cb.remove_connection_id = on_remove_connection_id;
  cb.path_validation = on_path_validation;
  cb.recv_stateless_reset = on_recv_stateless_reset;
  return cb;
}

}  // namespace

const ngtcp2_callbacks& client_callbacks() {
  static const ngtcp2_callbacks kCallbacks = [] {
    ngtcp2_callbacks c = common_callbacks();
    c.client_initial = ngtcp2_crypto_client_initial_cb;
    c.recv_retry = ngtcp2_crypto_recv_retry_cb;
    return c;
  }();
  return kCallbacks;
}

const ngtcp2_callbacks& server_callbacks() {
  static const ngtcp2_callbacks kCallbacks = [] {
    ngtcp2_callbacks c = common_callbacks();
    c.recv_client_initial = ngtcp2_crypto_recv_client_initial_cb;
    return c;
  }();
  return kCallbacks;
}

ngtcp2_path to_ngtcp2(const Path& p) {
  ngtcp2_path out{};
  // ngtcp2 copies addresses it keeps; the casts only satisfy its non-const C API.
  out.local.addr = const_cast<ngtcp2_sockaddr*>(p.local.sa());
  out.local.addrlen = p.local.len;
  out.remote.addr = const_cast<ngtcp2_sockaddr*>(p.remote.sa());
  out.remote.addrlen = p.remote.len;
  // NOLINTNEXTLINE(performance-no-int-to-ptr): an opaque tag for src/net, never dereferenced
  out.user_data = reinterpret_cast<void*>(p.tag);
  return out;
}

namespace {
Address to_address(const ngtcp2_addr& a) {
  Address out;
  if (a.addr != nullptr && a.addrlen > 0 && a.addrlen <= sizeof(out.storage)) {
    std::memcpy(&out.storage, a.addr, a.addrlen);
    out.len = a.addrlen;
  }
  return out;
}
}  // namespace

Path from_ngtcp2(const ngtcp2_path& p) {
  return Path{
      to_address(p.local), to_address(p.remote), reinterpret_cast<std::uintptr_t>(p.user_data)};
}

}  // namespace connswap::quic
