#include "pki/x509_inspect.h"

#include <array>
#include <cstdio>
#include <memory>

#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

namespace connswap::testing {
namespace {

struct CrtDeleter {
  void operator()(gnutls_x509_crt_int* c) const noexcept { gnutls_x509_crt_deinit(c); }
};
using Crt = std::unique_ptr<gnutls_x509_crt_int, CrtDeleter>;

Crt import(const std::string& pem) {
  gnutls_x509_crt_t raw = nullptr;
  if (gnutls_x509_crt_init(&raw) < 0) {
    return nullptr;
  }
  Crt crt(raw);
  gnutls_datum_t d{reinterpret_cast<unsigned char*>(const_cast<char*>(pem.data())),
                   static_cast<unsigned>(pem.size())};
  if (gnutls_x509_crt_import(raw, &d, GNUTLS_X509_FMT_PEM) < 0) {
    return nullptr;
  }
  return crt;
}

void read_sans(gnutls_x509_crt_t crt, CertInfo& info) {
  for (unsigned i = 0;; ++i) {
    std::array<char, 512> buf{};
    std::size_t len = buf.size();
    int type = gnutls_x509_crt_get_subject_alt_name(crt, i, buf.data(), &len, nullptr);
    if (type < 0) {
      break;
    }
    if (type == GNUTLS_SAN_DNSNAME) {
      info.dns_names.emplace_back(buf.data(), len);
    } else if (type == GNUTLS_SAN_IPADDRESS) {
      std::array<char, INET6_ADDRSTRLEN> text{};
      inet_ntop(len == 4 ? AF_INET : AF_INET6, buf.data(), text.data(), text.size());
      info.ip_addresses.emplace_back(text.data());
    } else if (type == GNUTLS_SAN_URI) {
      info.uris.emplace_back(buf.data(), len);
    }
  }
}

}  // namespace

const char* const kServerAuthOid = GNUTLS_KP_TLS_WWW_SERVER;
const char* const kClientAuthOid = GNUTLS_KP_TLS_WWW_CLIENT;
const unsigned kKeyCertSign = GNUTLS_KEY_KEY_CERT_SIGN;
const unsigned kDigitalSignature = GNUTLS_KEY_DIGITAL_SIGNATURE;

std::optional<CertInfo> inspect(const std::string& pem) {
  Crt crt = import(pem);
  if (!crt) {
    return std::nullopt;
  }
  CertInfo info;
  std::array<char, 256> buf{};
  std::size_t len = buf.size();
  if (gnutls_x509_crt_get_dn_by_oid(
          crt.get(), GNUTLS_OID_X520_COMMON_NAME, 0, 0, buf.data(), &len) >= 0) {
    info.common_name.assign(buf.data(), len);
  }
  read_sans(crt.get(), info);
  for (unsigned i = 0;; ++i) {
    len = buf.size();
    if (gnutls_x509_crt_get_key_purpose_oid(crt.get(), i, buf.data(), &len, nullptr) < 0) {
      break;
    }
    info.key_purposes.emplace_back(buf.data());
  }
  unsigned ca = 0;
  info.is_ca =
      gnutls_x509_crt_get_basic_constraints(crt.get(), nullptr, &ca, nullptr) >= 0 && ca != 0;
  gnutls_x509_crt_get_key_usage(crt.get(), &info.key_usage, nullptr);
  std::array<unsigned char, 32> serial{};
  len = serial.size();
  if (gnutls_x509_crt_get_serial(crt.get(), serial.data(), &len) >= 0) {
    for (std::size_t i = 0; i < len; ++i) {
      std::array<char, 3> hex{};
      std::snprintf(hex.data(), hex.size(), "%02x", serial[i]);
      info.serial_hex += hex.data();
    }
  }
  info.validity_seconds = static_cast<long>(gnutls_x509_crt_get_expiration_time(crt.get()) -
                                            gnutls_x509_crt_get_activation_time(crt.get()));
  int pk = gnutls_x509_crt_get_pk_algorithm(crt.get(), nullptr);
  info.algorithm = gnutls_pk_get_name(static_cast<gnutls_pk_algorithm_t>(pk));
  return info;
}

std::string verify(const std::string& leaf_pem,
                   const std::string& ca_pem,
                   const std::string& purpose_oid,
                   const std::string& hostname) {
  Crt leaf = import(leaf_pem);
  Crt ca = import(ca_pem);
  if (!leaf || !ca) {
    return "unparsable certificate";
  }
  gnutls_x509_trust_list_t list = nullptr;
  gnutls_x509_trust_list_init(&list, 0);
  gnutls_x509_crt_t anchors[] = {ca.release()};  // the trust list takes ownership
  gnutls_x509_trust_list_add_cas(list, anchors, 1, 0);
  std::array<gnutls_typed_vdata_st, 2> data{};
  unsigned n = 0;
  if (!purpose_oid.empty()) {
    data[n++] = {GNUTLS_DT_KEY_PURPOSE_OID,
                 reinterpret_cast<unsigned char*>(const_cast<char*>(purpose_oid.c_str())),
                 0};
  }
  if (!hostname.empty()) {
    data[n++] = {GNUTLS_DT_DNS_HOSTNAME,
                 reinterpret_cast<unsigned char*>(const_cast<char*>(hostname.c_str())),
                 0};
  }
  gnutls_x509_crt_t chain[] = {leaf.get()};
  unsigned status = 0;
  int rc = gnutls_x509_trust_list_verify_crt2(list, chain, 1, data.data(), n, 0, &status, nullptr);
  gnutls_x509_trust_list_deinit(list, 1);
  if (rc < 0) {
    return gnutls_strerror(rc);
  }
  if (status == 0) {
    return "";
  }
  gnutls_datum_t text{};
  gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &text, 0);
  std::string out(reinterpret_cast<const char*>(text.data), text.size);
  gnutls_free(text.data);
  return out.empty() ? "untrusted" : out;
}

bool matches_ip(const std::string& leaf_pem, const std::string& ip) {
  Crt crt = import(leaf_pem);
  std::array<unsigned char, 16> bin{};
  unsigned size = 0;
  if (inet_pton(AF_INET, ip.c_str(), bin.data()) == 1) {
    size = 4;
  } else if (inet_pton(AF_INET6, ip.c_str(), bin.data()) == 1) {
    size = 16;
  }
  return crt && size != 0 && gnutls_x509_crt_check_ip(crt.get(), bin.data(), size, 0) != 0;
}

}  // namespace connswap::testing
