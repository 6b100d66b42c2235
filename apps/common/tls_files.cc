#include "common/tls_files.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "quic/packet.h"

namespace connswap::app {
namespace {

Result<Bytes> read_all(const std::string& path, std::string_view option, std::string_view env) {
  const auto where = std::string(option) + " '" + path + "' (" + std::string(env) + ")";
  if (path.empty()) {
    return make_error(Errc::kInvalidArgument,
                      std::string(option) + " is required (or " + std::string(env) +
                          "); connswap-certs --out certs makes one");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return make_error(Errc::kInvalidArgument, "cannot read " + where + ": " + std::strerror(errno));
  }
  Bytes bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (bytes.empty()) {
    return make_error(Errc::kInvalidArgument, where + " is empty");
  }
  return bytes;
}

}  // namespace

Result<void> check_tls_files(const TlsFiles& files) {
  CONNSWAP_TRY(read_all(files.cert, "--tls-cert", "CONNECTION_SWAP_TLS_CERT"));
  CONNSWAP_TRY(read_all(files.key, "--tls-key", "CONNECTION_SWAP_TLS_KEY"));
  CONNSWAP_TRY(read_all(files.ca, "--tls-ca", "CONNECTION_SWAP_TLS_CA"));
  return {};
}

Result<std::shared_ptr<const quic::TlsContext>> make_server_tls(const TlsFiles& files,
                                                                ClientAuth auth) {
  quic::ServerTlsOptions options;
  options.cert_file = files.cert;
  options.key_file = files.key;
  if (auth == ClientAuth::kOptional) {
    options.client_ca_file = files.ca;
    options.client_cert_optional = true;
  }
  return quic::TlsContext::make_server(options);
}

Result<std::shared_ptr<const quic::TlsContext>> make_client_tls(const TlsFiles& files,
                                                                bool present_cert) {
  quic::ClientTlsOptions options;
  options.ca_file = files.ca;
  if (present_cert) {
    options.cert_file = files.cert;
    options.key_file = files.key;
  }
  return quic::TlsContext::make_client(options);
}

Result<Bytes> reset_secret(const TlsFiles& files) {
  auto key = read_all(files.key, "--tls-key", "CONNECTION_SWAP_TLS_KEY");
  if (!key) {
    return Unexpected(std::move(key).error());
  }
  return quic::derive_static_secret(ByteSpan(*key));
}

std::string host_of(std::string_view address) {
  if (!address.empty() && address.front() == '[') {
    const auto close = address.find(']');
    return std::string(address.substr(1, close == std::string_view::npos ? 0 : close - 1));
  }
  const auto colon = address.rfind(':');
  return std::string(address.substr(0, colon));
}

}  // namespace connswap::app
