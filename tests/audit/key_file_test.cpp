// The auditor's key file: private, never overwritten, read back strictly.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/types.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "kim/audit/key_file.hpp"
#include "kim/shared/base64.hpp"
#include "kim/shared/errors.hpp"
#include "temp_dir.hpp"

namespace kim::test {
namespace {

namespace fs = std::filesystem;

TEST(AuditorKeyFile, WrittenPrivatelyAndReadBack) {
    TempDir dir;
    const auto file = dir / "auditor.key";
    const audit::AuditorKey key = audit::generate_auditor_key("pruefer");
    audit::write_key_file(file, key);
    struct stat st {};
    ASSERT_EQ(::stat(file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    const auto j = nlohmann::json::parse(read_file(file));
    EXPECT_EQ(j.at("kind"), "kimsync-auditor-key");
    EXPECT_EQ(j.at("version"), 1);
    EXPECT_EQ(j.at("name"), "pruefer");
    EXPECT_EQ(j.at("public_key"), base64_encode(key.public_key));
    const audit::AuditorKey read = audit::read_key_file(file);
    EXPECT_EQ(read.name, "pruefer");
    EXPECT_EQ(read.public_key, key.public_key);
    EXPECT_EQ(audit::enrol_command(read),
              "kim-server --data DIR user add pruefer --role auditor --pubkey " + base64_encode(key.public_key));
}

TEST(AuditorKeyFile, NeverOverwritten) {
    TempDir dir;
    const auto file = dir / "auditor.key";
    audit::write_key_file(file, audit::generate_auditor_key("auditor"));
    const std::string before = read_file(file);
    EXPECT_THROW(audit::write_key_file(file, audit::generate_auditor_key("auditor")), StateError);
    EXPECT_EQ(read_file(file), before);
}

TEST(AuditorKeyFile, RefusedWhenOthersMayReadItOrItIsNotOne) {
    TempDir dir;
    const auto file = dir / "auditor.key";
    audit::write_key_file(file, audit::generate_auditor_key("auditor"));
    fs::permissions(file, fs::perms::group_read, fs::perm_options::add);
    EXPECT_THROW(audit::read_key_file(file), AuthError);
    EXPECT_THROW(audit::read_key_file(dir / "missing.key"), NotFoundError);

    auto j = nlohmann::json::parse(read_file(file));
    j["public_key"] = base64_encode(audit::generate_auditor_key("x").public_key);  // not this secret's
    const auto mixed = dir / "mixed.key";
    std::ofstream(mixed) << j.dump();
    fs::permissions(mixed, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);
    EXPECT_THROW(audit::read_key_file(mixed), InputError);
    EXPECT_THROW(audit::generate_auditor_key("Not A Name"), InputError);
}

TEST(AuditorKeyFile, SeedThatDoesNotDeriveThePublicKeyIsADamagedFile) {
    TempDir dir;
    const auto file = dir / "auditor.key";
    audit::write_key_file(file, audit::generate_auditor_key("pruefer"));
    auto j = nlohmann::json::parse(read_file(file));
    auto secret = base64_decode(j.at("secret_key").get<std::string>());
    ASSERT_TRUE(secret);
    (*secret)[3] ^= 0x01;  // one bit of the seed; the public half stays as it was
    j["secret_key"] = base64_encode(*secret);
    const auto damaged = dir / "damaged.key";
    std::ofstream(damaged) << j.dump();
    fs::permissions(damaged, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);
    try {
        audit::read_key_file(damaged);
        ADD_FAILURE() << "a damaged key file was accepted";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("is damaged"), std::string::npos) << e.what();
    }
}

TEST(AuditorKeyFile, FifoInItsPlaceIsRefusedWithoutHanging) {
    TempDir dir;
    const auto fifo = dir / "auditor.key";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    EXPECT_THROW(audit::read_key_file(fifo), InputError);
}

}  // namespace
}  // namespace kim::test
