#pragma once
// Reading and writing a certificate + key pair as PEM files.

#include <filesystem>

#include "base/error.h"
#include "pki/cert.h"

namespace connswap::pki {

// Where a certificate and its key live on disk.
struct PemPaths {
  std::filesystem::path cert;
  std::filesystem::path key;
};

// Whether write_pem_files may replace existing files.
enum class Overwrite : bool { kNo = false, kYes = true };

// Writes the certificate (mode 0644) and the key (mode 0600) atomically: each goes to a
// temporary file in the target directory first. With Overwrite::kNo, fails with
// kInvalidArgument before writing anything if either path exists. Other errors: kIo.
[[nodiscard]] Result<void> write_pem_files(const CertAndKey& pair,
                                           const PemPaths& paths,
                                           Overwrite overwrite);

// Reads a certificate and key written by write_pem_files (or any PEM pair), e.g. a CA to
// sign more leaves. Checks that both parse and that the key matches the certificate.
// Errors: kNotFound (missing file), kIo (unreadable), kTls (bad PEM or mismatched key).
[[nodiscard]] Result<CertAndKey> load_pem_files(const PemPaths& paths);

}  // namespace connswap::pki
