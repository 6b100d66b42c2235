#include "generate.h"

#include <algorithm>
#include <string>
#include <system_error>
#include <utility>

#include "pki/cert.h"
#include "pki/pem_file.h"

namespace connswap::certs {
namespace {

namespace fs = std::filesystem;

constexpr std::uint32_t kCaMinDays = 3650;

// One leaf to write: where, and how to make it.
struct Leaf {
  pki::PemPaths paths;
  pki::LeafOptions options;
};

pki::PemPaths pair_in(const fs::path& dir, const std::string& name) {
  return {dir / (name + ".pem"), dir / (name + "-key.pem")};
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

RoleSet only(PeerRole role) {
  RoleSet roles;
  roles.add(role);
  return roles;
}

// A certificate that serves (server SANs); `kind` kServer for server.pem (no role), kNode
// for a director or worker (it also calls peers as a client).
pki::LeafOptions server_options(const Options& o, pki::LeafRole kind, RoleSet roles) {
  return {.common_name = o.dns_names.empty() ? "localhost" : o.dns_names.front(),
          .role = kind,
          .dns_names = merged({"localhost"}, o.dns_names),
          .ip_addresses = merged({"127.0.0.1", "::1"}, o.ip_addresses),
          .roles = roles,
          .validity_days = o.days};
}

pki::LeafOptions client_options(const Options& o, std::string cn, RoleSet roles) {
  return {.common_name = std::move(cn),
          .role = pki::LeafRole::kClient,
          .roles = roles,
          .validity_days = o.days};
}

// Every leaf connswap-certs writes (docs/PROTOCOL.md §7.5): server.pem has no role (tools that
// only serve: quicperf, benches); each cluster role has its own certificate.
std::vector<Leaf> leaves_for(const Options& o) {
  const fs::path& d = o.out_dir;
  std::vector<Leaf> out = {
      {pair_in(d, "server"), server_options(o, pki::LeafRole::kServer, {})},
      {pair_in(d, "director"), server_options(o, pki::LeafRole::kNode, only(PeerRole::kDirector))},
      {pair_in(d, "worker"), server_options(o, pki::LeafRole::kNode, only(PeerRole::kWorker))},
      {pair_in(d, "operator"), client_options(o, "connswap-operator", only(PeerRole::kOperator))},
      {pair_in(d, "client"), client_options(o, o.client_cn, only(PeerRole::kClient))},
  };
  for (const std::string& name : o.worker_names) {
    Leaf w{pair_in(d, name), server_options(o, pki::LeafRole::kNode, only(PeerRole::kWorker))};
    w.options.common_name = name;
    out.push_back(std::move(w));
  }
  return out;
}

// A --worker-cert NAME becomes NAME.pem: letters, digits, '.', '_' and '-' only, and not a
// name connswap-certs writes anyway.
Result<void> check_worker_name(const std::string& name) {
  for (const char* taken : {"ca", "server", "director", "worker", "operator", "client"}) {
    if (name == taken) {
      std::string why = "--worker-cert '";
      why.append(name).append("': ").append(name).append(".pem is written anyway");
      return make_error(Errc::kInvalidArgument, why);
    }
  }
  const bool ok = !name.empty() && name.size() <= 64 && name.front() != '.' &&
                  std::all_of(name.begin(), name.end(), [](char c) {
                    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                           (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
                  });
  if (!ok) {
    return make_error(
        Errc::kInvalidArgument,
        "--worker-cert '" + name + "': 1-64 of [A-Za-z0-9._-], not starting with '.'");
  }
  return {};
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
Result<pki::CertAndKey> ca_for(const Options& o, const pki::PemPaths& ca, bool& is_new) {
  bool has_cert = path_taken(ca.cert);
  bool has_key = path_taken(ca.key);
  if (has_cert != has_key && !o.new_ca) {
    return make_error(Errc::kInvalidArgument,
                      (has_cert ? ca.key : ca.cert).string() +
                          " is missing but its pair exists; restore it or pass --new-ca --force");
  }
  is_new = o.new_ca || !has_cert;
  if (!is_new) {
    return pki::load_pem_files(ca);
  }
  CONNSWAP_TRY(check_targets({ca.cert, ca.key}, o.force));
  return pki::make_ca({.validity_days = std::max(o.days, kCaMinDays)});
}

}  // namespace

Result<void> validate(const Options& options) {
  if (options.out_dir.empty()) {
    return make_error(Errc::kInvalidArgument, "--out DIR is required (see --help)");
  }
  for (const std::string& name : options.worker_names) {
    CONNSWAP_TRY(check_worker_name(name));
  }
  for (const Leaf& leaf : leaves_for(options)) {
    CONNSWAP_TRY(pki::validate(leaf.options));
  }
  return {};
}

Result<std::string> generate(const Options& o) {
  CONNSWAP_TRY(validate(o));
  std::error_code ec;
  fs::create_directories(o.out_dir, ec);
  if (ec) {
    return make_error(Errc::kIo, "creating " + o.out_dir.string() + ": " + ec.message());
  }
  const pki::PemPaths ca_paths = pair_in(o.out_dir, "ca");
  const std::vector<Leaf> leaves = leaves_for(o);
  // Check leaves before making or writing anything, so a refusal leaves DIR untouched.
  std::vector<fs::path> targets;
  for (const Leaf& leaf : leaves) {
    targets.push_back(leaf.paths.cert);
    targets.push_back(leaf.paths.key);
  }
  CONNSWAP_TRY(check_targets(targets, o.force));
  bool new_ca = false;
  auto ca = ca_for(o, ca_paths, new_ca);
  if (!ca) {
    return Unexpected(std::move(ca).error());
  }
  std::vector<pki::CertAndKey> made;
  for (const Leaf& leaf : leaves) {
    auto pair = pki::make_leaf(*ca, leaf.options);
    if (!pair) {
      return Unexpected(std::move(pair).error());
    }
    made.push_back(std::move(*pair));
  }
  const auto overwrite = o.force ? pki::Overwrite::kYes : pki::Overwrite::kNo;
  if (new_ca) {
    CONNSWAP_TRY(pki::write_pem_files(*ca, ca_paths, overwrite));
  }
  std::string report =
      std::string(new_ca ? "wrote new CA " : "reused CA ") + ca_paths.cert.string() + "\n";
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    CONNSWAP_TRY(pki::write_pem_files(made[i], leaves[i].paths, overwrite));
    report += "wrote " + leaves[i].paths.cert.string() + ", " + leaves[i].paths.key.string() +
              " (roles: " + to_string(leaves[i].options.roles) + ")\n";
  }
  return report;
}

}  // namespace connswap::certs
