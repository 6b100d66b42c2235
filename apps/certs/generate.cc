#include "generate.h"

#include <algorithm>
#include <system_error>
#include <utility>

#include "pki/cert.h"
#include "pki/pem_file.h"

namespace connswap::certs {
namespace {

namespace fs = std::filesystem;

constexpr std::uint32_t kCaMinDays = 3650;

struct Layout {
  pki::PemPaths ca, server, client;
};

Layout layout_for(const fs::path& dir) {
  return {.ca = {dir / "ca.pem", dir / "ca-key.pem"},
          .server = {dir / "server.pem", dir / "server-key.pem"},
          .client = {dir / "client.pem", dir / "client-key.pem"}};
}

bool path_taken(const fs::path& p) {
  std::error_code ec;
  return fs::symlink_status(p, ec).type() != fs::file_type::not_found;
}

// Appends `extra` to `base`, skipping duplicates, keeping order.
std::vector<std::string> merged(std::vector<std::string> base,
                                const std::vector<std::string>& extra) {
  for (const std::string& s : extra) {
    if (std::find(base.begin(), base.end(), s) == base.end()) {
      base.push_back(s);
    }
  }
  return base;
}

pki::LeafOptions server_options(const Options& o) {
  return {.common_name = o.dns_names.empty() ? "localhost" : o.dns_names.front(),
          .role = pki::LeafRole::kServer,
          .dns_names = merged({"localhost"}, o.dns_names),
          .ip_addresses = merged({"127.0.0.1", "::1"}, o.ip_addresses),
          .validity_days = o.days};
}

pki::LeafOptions client_options(const Options& o) {
  return {.common_name = o.client_cn, .role = pki::LeafRole::kClient, .validity_days = o.days};
}

// Refuses (kInvalidArgument) if any target exists and may not be replaced.
Result<void> check_targets(const std::vector<fs::path>& targets, bool force) {
  std::string existing;
  for (const fs::path& p : targets) {
    if (path_taken(p)) {
      existing += (existing.empty() ? "" : ", ") + p.string();
    }
  }
  if (!existing.empty() && !force) {
    return make_error(Errc::kInvalidArgument,
                      "refusing to overwrite " + existing + " (use --force)");
  }
  return {};
}

// The CA to sign with: reused from disk, or new. `is_new` tells the caller to write it.
Result<pki::CertAndKey> ca_for(const Options& o, const Layout& l, bool& is_new) {
  bool has_cert = path_taken(l.ca.cert);
  bool has_key = path_taken(l.ca.key);
  if (has_cert != has_key && !o.new_ca) {
    return make_error(Errc::kInvalidArgument,
                      (has_cert ? l.ca.key : l.ca.cert).string() +
                          " is missing but its pair exists; restore it or pass --new-ca --force");
  }
  is_new = o.new_ca || !has_cert;
  if (!is_new) {
    return pki::load_pem_files(l.ca);
  }
  CONNSWAP_TRY(check_targets({l.ca.cert, l.ca.key}, o.force));
  return pki::make_ca({.validity_days = std::max(o.days, kCaMinDays)});
}

}  // namespace

Result<void> validate(const Options& options) {
  if (options.out_dir.empty()) {
    return make_error(Errc::kInvalidArgument, "--out DIR is required (see --help)");
  }
  CONNSWAP_TRY(pki::validate(server_options(options)));
  return pki::validate(client_options(options));
}

Result<std::string> generate(const Options& o) {
  CONNSWAP_TRY(validate(o));
  std::error_code ec;
  fs::create_directories(o.out_dir, ec);
  if (ec) {
    return make_error(Errc::kIo, "creating " + o.out_dir.string() + ": " + ec.message());
  }
  const Layout l = layout_for(o.out_dir);
  // Check leaves before making or writing anything, so a refusal leaves DIR untouched.
  CONNSWAP_TRY(check_targets({l.server.cert, l.server.key, l.client.cert, l.client.key}, o.force));
  bool new_ca = false;
  auto ca = ca_for(o, l, new_ca);
  if (!ca) {
    return Unexpected(std::move(ca).error());
  }
  auto server = pki::make_leaf(*ca, server_options(o));
  if (!server) {
    return Unexpected(std::move(server).error());
  }
  auto client = pki::make_leaf(*ca, client_options(o));
  if (!client) {
    return Unexpected(std::move(client).error());
  }
  const auto overwrite = o.force ? pki::Overwrite::kYes : pki::Overwrite::kNo;
  if (new_ca) {
    CONNSWAP_TRY(pki::write_pem_files(*ca, l.ca, overwrite));
  }
  CONNSWAP_TRY(pki::write_pem_files(*server, l.server, overwrite));
  CONNSWAP_TRY(pki::write_pem_files(*client, l.client, overwrite));
  return std::string(new_ca ? "wrote new CA " : "reused CA ") + l.ca.cert.string() + "\n" +
         "wrote " + l.server.cert.string() + ", " + l.server.key.string() + "\n" + "wrote " +
         l.client.cert.string() + ", " + l.client.key.string() + "\n";
}

}  // namespace connswap::certs
