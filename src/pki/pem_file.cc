#include "pki/pem_file.h"

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pki/detail/x509.h"

namespace connswap::pki {
namespace {

namespace fs = std::filesystem;

Unexpected<Error> io_error(std::string_view what, const fs::path& path, int err) {
  return make_error(Errc::kIo, std::string(what) + " " + path.string() + ": " + std::strerror(err));
}

// Closes a file descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

Result<void> write_all(int fd, std::string_view data, const fs::path& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return io_error("writing", path, errno);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

// Writes `data` to a temporary file beside `path` with `mode` and fsyncs it; returns the
// temporary path. mkstemp creates it 0600, so a key is never readable by others, not even
// briefly.
Result<fs::path> write_temp(const fs::path& path, std::string_view data, mode_t mode) {
  std::string tmpl = path.string() + ".tmpXXXXXX";
  Fd fd(::mkstemp(tmpl.data()));
  if (fd.get() < 0) {
    return io_error("creating temporary file for", path, errno);
  }
  fs::path tmp(tmpl);
  auto written = write_all(fd.get(), data, tmp);
  if (written && ::fchmod(fd.get(), mode) != 0) {
    written = io_error("chmod", tmp, errno);
  }
  if (written && ::fsync(fd.get()) != 0) {
    written = io_error("fsync", tmp, errno);
  }
  if (written && ::close(fd.release()) != 0) {
    written = io_error("closing", tmp, errno);
  }
  if (!written) {
    ::unlink(tmp.c_str());
    return Unexpected(std::move(written).error());
  }
  return tmp;
}

// Moves the temporary file into place. Without overwrite, link(2) fails atomically with
// EEXIST if someone created `path` since the pre-check.
Result<void> install(const fs::path& tmp, const fs::path& path, Overwrite overwrite) {
  int rc = overwrite == Overwrite::kYes ? ::rename(tmp.c_str(), path.c_str())
                                        : ::link(tmp.c_str(), path.c_str());
  int err = errno;
  if (overwrite == Overwrite::kNo || rc != 0) {
    ::unlink(tmp.c_str());
  }
  if (rc != 0) {
    return io_error("installing", path, err);
  }
  return {};
}

Result<void> write_file(const fs::path& path,
                        std::string_view data,
                        mode_t mode,
                        Overwrite overwrite) {
  auto tmp = write_temp(path, data, mode);
  if (!tmp) {
    return Unexpected(std::move(tmp).error());
  }
  return install(*tmp, path, overwrite);
}

Result<std::string> read_file(const fs::path& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) {
      return make_error(Errc::kNotFound, "no such file " + path.string());
    }
    return io_error("opening", path, errno);
  }
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return io_error("reading", path, errno);
    }
    if (n == 0) {
      break;
    }
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > (1u << 20)) {
      return make_error(Errc::kIo, path.string() + " is larger than 1 MiB, not a PEM file");
    }
  }
  return out;
}

}  // namespace

Result<void> write_pem_files(const CertAndKey& pair, const PemPaths& paths, Overwrite overwrite) {
  if (overwrite == Overwrite::kNo) {
    for (const fs::path& p : {paths.cert, paths.key}) {
      std::error_code ec;
      if (fs::symlink_status(p, ec).type() != fs::file_type::not_found) {
        return make_error(Errc::kInvalidArgument, p.string() + " already exists");
      }
    }
  }
  // Key first: a certificate on disk without its key is the more confusing half-state.
  CONNSWAP_TRY(write_file(paths.key, pair.key_pem, 0600, overwrite));
  return write_file(paths.cert, pair.cert_pem, 0644, overwrite);
}

Result<CertAndKey> load_pem_files(const PemPaths& paths) {
  auto cert_pem = read_file(paths.cert);
  if (!cert_pem) {
    return Unexpected(std::move(cert_pem).error());
  }
  auto key_pem = read_file(paths.key);
  if (!key_pem) {
    return Unexpected(std::move(key_pem).error());
  }
  auto crt = detail::import_crt(*cert_pem);
  if (!crt) {
    return make_error(Errc::kTls, paths.cert.string() + ": " + crt.error().detail);
  }
  auto key = detail::import_privkey(*key_pem);
  if (!key) {
    return make_error(Errc::kTls, paths.key.string() + ": " + key.error().detail);
  }
  if (auto r = detail::check_key_matches(crt->get(), key->get()); !r) {
    return make_error(Errc::kTls, paths.key.string() + ": " + r.error().detail);
  }
  return CertAndKey{std::move(*cert_pem), std::move(*key_pem)};
}

}  // namespace connswap::pki
