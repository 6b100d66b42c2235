#include "pki/pem_file.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "pki/x509_inspect.h"
#include "support/temp_dir.h"
#include "support/test_pki.h"

namespace connswap::pki {
namespace {

namespace fs = std::filesystem;

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), {}};
}

TEST(TestPki, MakesAVerifyingChainWithPrivateKeys) {
  auto t = testing::make_test_pki();
  for (const fs::path& key : {t.ca_key, t.server_key, t.client_key, t.other_ca_key}) {
    EXPECT_EQ(mode_of(key), 0600u) << key;
  }
  EXPECT_EQ(mode_of(t.server_cert), 0644u);
  std::string ca = slurp(t.ca_cert);
  EXPECT_EQ(testing::verify(slurp(t.server_cert), ca, testing::kServerAuthOid, "localhost"), "");
  EXPECT_EQ(testing::verify(slurp(t.client_cert), ca, testing::kClientAuthOid), "");
  EXPECT_NE(testing::verify(slurp(t.server_cert), slurp(t.other_ca_cert)), "");
  auto server = testing::inspect(slurp(t.server_cert));
  ASSERT_TRUE(server);
  EXPECT_EQ(server->dns_names, std::vector<std::string>{"localhost"});
  EXPECT_EQ(server->ip_addresses, (std::vector<std::string>{"127.0.0.1", "::1"}));
  EXPECT_EQ(testing::inspect(slurp(t.client_cert))->common_name, "connswap-test-client");
}

TEST(TestPki, DirectoryGoesAwayWithTheLastOwner) {
  fs::path dir;
  {
    auto t = testing::make_test_pki();
    dir = t.dir;
    testing::TestPki moved = std::move(t);
    EXPECT_TRUE(fs::exists(moved.server_cert));
  }
  EXPECT_FALSE(fs::exists(dir));
}

TEST(PemFile, LoadedCaSignsLeavesThatVerify) {
  auto t = testing::make_test_pki();
  auto ca = load_pem_files({t.ca_cert, t.ca_key});
  ASSERT_TRUE(ca) << ca.error().message();
  auto leaf = make_leaf(*ca, {.common_name = "node2", .dns_names = {"node2"}});
  ASSERT_TRUE(leaf) << leaf.error().message();
  EXPECT_EQ(testing::verify(leaf->cert_pem, slurp(t.ca_cert), testing::kServerAuthOid, "node2"),
            "");
}

TEST(PemFile, RefusesToOverwriteUnlessAsked) {
  auto t = testing::make_test_pki();
  auto ca = load_pem_files({t.ca_cert, t.ca_key}).value();
  auto fresh = make_ca({}).value();
  PemPaths paths{t.ca_cert, t.dir / "new-key.pem"};
  auto r = write_pem_files(fresh, paths, Overwrite::kNo);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
  EXPECT_FALSE(fs::exists(paths.key));  // nothing written on refusal
  EXPECT_EQ(slurp(t.ca_cert), ca.cert_pem);

  ASSERT_TRUE(write_pem_files(fresh, {t.ca_cert, t.ca_key}, Overwrite::kYes));
  EXPECT_EQ(slurp(t.ca_cert), fresh.cert_pem);
  EXPECT_EQ(mode_of(t.ca_key), 0600u);
  // No temporary files left behind.
  for (const auto& entry : fs::directory_iterator(t.dir)) {
    EXPECT_EQ(entry.path().string().find(".tmp"), std::string::npos) << entry.path();
  }
}

TEST(PemFile, BadPathsAreErrors) {
  testing::TempDir dir;
  auto missing = load_pem_files({dir.path() / "nope.pem", dir.path() / "nope-key.pem"});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::kNotFound);

  auto pair = make_ca({}).value();
  auto no_dir =
      write_pem_files(pair, {dir.path() / "x/ca.pem", dir.path() / "x/ca-key.pem"}, Overwrite::kNo);
  ASSERT_FALSE(no_dir);
  EXPECT_EQ(no_dir.error().code, Errc::kIo);

  auto is_dir = load_pem_files({dir.path(), dir.path()});
  ASSERT_FALSE(is_dir);
  EXPECT_EQ(is_dir.error().code, Errc::kIo);

  std::ofstream(dir.path() / "junk.pem") << "junk";
  auto junk = load_pem_files({dir.path() / "junk.pem", dir.path() / "junk.pem"});
  ASSERT_FALSE(junk);
  EXPECT_EQ(junk.error().code, Errc::kTls);
}

TEST(PemFile, MismatchedKeyIsRejected) {
  auto t = testing::make_test_pki();
  auto r = load_pem_files({t.ca_cert, t.other_ca_key});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kTls);
}

}  // namespace
}  // namespace connswap::pki
