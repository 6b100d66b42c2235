// connswap-certs: writes a CA, a server and a client certificate (PEM) into a directory.
// An existing CA in the directory is reused, so several nodes can share one CA.

#include <cstdio>
#include <exception>
#include <string>

#include <CLI/CLI.hpp>

#include "base/error.h"
#include "generate.h"

namespace {

// Exit codes (STYLE.md 2.3): 0 ok, 1 generation or I/O failure, 2 bad input.
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

int fail(int code, const std::string& message) {
  std::fprintf(stderr, "connswap-certs: %s\n", message.c_str());
  return code;
}

// main() without the last-resort catch below.
int run_main(int argc, char** argv) {
  connswap::certs::Options opts;
  CLI::App app{
      "Writes ca.pem and, each with its -key.pem: director.pem, worker.pem, operator.pem\n"
      "(connswap-ctl), client.pem, and server.pem (no role: benches, tools) into DIR\n"
      "(ECDSA P-256, PEM, keys mode 0600). Each role is a SAN URI connswap:role:<name>.\n"
      "If DIR already holds ca.pem and ca-key.pem, that CA signs the new leaves, so a\n"
      "cluster can share one CA.",
      "connswap-certs"};
  app.add_option("-o,--out", opts.out_dir, "Output directory DIR (created if missing)")
      ->type_name("DIR");  // required; checked after parsing so typos are reported first
  app.add_option("-n,--name",
                 opts.dns_names,
                 "Extra server DNS SAN, repeatable (localhost is always included;\n"
                 "the first --name becomes the server CN)")
      ->type_name("NAME");
  app.add_option("-i,--ip",
                 opts.ip_addresses,
                 "Extra server IP SAN, IPv4 or IPv6, repeatable (127.0.0.1 and ::1\n"
                 "are always included)")
      ->type_name("ADDR");
  app.add_option(
         "-d,--days", opts.days, "Validity of the new leaves in days; a new CA gets\nmax(N, 3650)")
      ->check(CLI::Range(1, 36500))
      ->type_name("N")
      ->capture_default_str();
  app.add_option("--client-cn", opts.client_cn, "Common name of the client certificate")
      ->type_name("CN")
      ->capture_default_str();
  app.add_option(
         "--worker-cert",
         opts.worker_names,
         "Also write NAME.pem (the worker role, e.g. worker-a), repeatable: one certificate\n"
         "per worker, so that a worker's label is bound to its own certificate")
      ->type_name("NAME");
  app.add_flag("-f,--force", opts.force, "Overwrite existing leaf files");
  app.add_flag(
      "--new-ca", opts.new_ca, "Make a new CA even if DIR has one (needs --force to replace it)");
  app.footer(
      "Without --force nothing is overwritten. Exit status: 0 ok; 1 generation or I/O\n"
      "failure; 2 bad command line or existing files without --force.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {
      return app.exit(e);  // --help
    }
    return fail(kExitUsage, std::string(e.what()) + " (see --help)");
  }
  auto report = connswap::certs::generate(opts);
  if (!report) {
    const connswap::Error& err = report.error();
    return fail(err.code == connswap::Errc::kInvalidArgument ? kExitUsage : kExitFailure,
                err.detail);
  }
  std::fputs(report->c_str(), stdout);
  return 0;
}

}  // namespace

// STYLE.md 2.3: main catches what the control plane throws (a CLI11 construction error,
// std::filesystem, fmt) and reports it on one line instead of std::terminate.
int main(int argc, char** argv) {
  try {
    return run_main(argc, argv);
  } catch (const std::exception& e) {
    return fail(kExitFailure, e.what());
  }
}
