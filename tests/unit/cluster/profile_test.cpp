#include "cluster/profile.hpp"

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "unit/cluster/test_catalog.hpp"
#include "util/error.hpp"

namespace poolbench::cluster {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

/// A temporary profiles directory, removed at the end of the test.
class ProfilesDir : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir = fs::temp_directory_path() /
            ("poolbench-profiles-test-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(m_dir);
  }
  void TearDown() override { fs::remove_all(m_dir); }
  fs::path write(const std::string& name, const std::string& text) {
    std::ofstream(m_dir / name) << text;
    return m_dir / name;
  }
  fs::path m_dir;
};

std::string input_error(const std::function<void()>& action) {
  try {
    action();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

TEST(ProfileParsing, ReadsPostgresqlConfSyntax) {
  const auto settings = parse_conf(
      "# comment line\n"
      "\n"
      "shared_buffers = 512MB   # trailing comment\n"
      "Work_Mem 4MB\n"
      "ssl_ciphers = 'HIGH:!aNULL:!MD5'\n"
      "log_line_prefix = '%t [%p] it''s \\'quoted\\' # not a comment'\n"
      "random_page_cost=1.1\n"
      "pg_stat_statements.max = 5000\n",
      "x.conf");
  ASSERT_EQ(settings.size(), 6U);
  EXPECT_EQ(settings[0].name, "shared_buffers");
  EXPECT_EQ(settings[0].value, "512MB");
  EXPECT_EQ(settings[0].line, 3);
  EXPECT_EQ(settings[1].name, "work_mem");  // names fold to lower case
  EXPECT_EQ(settings[2].value, "HIGH:!aNULL:!MD5");
  EXPECT_EQ(settings[3].value, "%t [%p] it's 'quoted' # not a comment");
  EXPECT_EQ(settings[4].value, "1.1");
  EXPECT_EQ(settings[5].name, "pg_stat_statements.max");
  EXPECT_EQ(settings[5].where(), "x.conf:8");
}

TEST(ProfileParsing, ALaterDuplicateReplacesTheEarlierOne) {
  const auto settings = parse_conf("work_mem = 4MB\nwork_mem = 8MB\n", "x.conf");
  ASSERT_EQ(settings.size(), 1U);
  EXPECT_EQ(settings[0].value, "8MB");
  EXPECT_EQ(settings[0].line, 2);
}

TEST(ProfileParsing, SyntaxErrorsNameFileAndLine) {
  EXPECT_THAT(input_error([] { parse_conf("a = 1\nwork_mem = 4 MB\n", "p.conf"); }),
              HasSubstr("p.conf:2: syntax error"));
  EXPECT_THAT(input_error([] { parse_conf("\n\nname = 'open\n", "p.conf"); }),
              HasSubstr("p.conf:3: unterminated quoted string"));
  EXPECT_THAT(input_error([] { parse_conf("work_mem =\n", "p.conf"); }),
              HasSubstr("p.conf:1: missing value"));
  EXPECT_THAT(input_error([] { parse_conf("= 4\n", "p.conf"); }),
              HasSubstr("p.conf:1: syntax error"));
  EXPECT_THAT(input_error([] { parse_conf("include 'other.conf'\n", "p.conf"); }),
              HasSubstr("p.conf:1: 'include' is not supported"));
}

TEST_F(ProfilesDir, ComposedProfilesLetLaterNamesWin) {
  write("a.conf", "# A\nrandom_page_cost = 4.0\nwork_mem = 4MB\n");
  write("b.conf", "# B\nrandom_page_cost = 1.1\nmax_wal_size = 2GB\n");
  const Profile profile = load_profile("a+b", m_dir);
  EXPECT_EQ(profile.name, "a+b");
  ASSERT_EQ(profile.files.size(), 2U);
  ASSERT_EQ(profile.settings.size(), 3U);
  EXPECT_EQ(profile.find("random_page_cost")->value, "1.1");
  EXPECT_THAT(profile.find("random_page_cost")->where(), HasSubstr("b.conf:2"));
  EXPECT_EQ(profile.find("work_mem")->value, "4MB");
  EXPECT_EQ(load_profile("b+a", m_dir).find("random_page_cost")->value, "4.0");
}

TEST_F(ProfilesDir, APathIsAProfileToo) {
  const fs::path file = write("mine.conf", "work_mem = 16MB\n");
  EXPECT_EQ(load_profile(file.string(), "/nonexistent").find("work_mem")->value, "16MB");
  write("a.conf", "work_mem = 4MB\n");
  EXPECT_EQ(load_profile("a+" + file.string(), m_dir).find("work_mem")->value, "16MB");
}

TEST_F(ProfilesDir, UnknownNamesAndUnreadableFilesAreInputErrors) {
  write("ssd.conf", "# SSD\n");
  const std::string unknown = input_error([&] { load_profile("sdd", m_dir); });
  EXPECT_THAT(unknown, HasSubstr("unknown profile 'sdd'"));
  EXPECT_THAT(unknown, HasSubstr("did you mean 'ssd'"));
  EXPECT_THAT(input_error([&] { load_profile((m_dir / "none.conf").string(), m_dir); }),
              HasSubstr("none.conf: cannot read"));
  EXPECT_THAT(input_error([&] { load_profile("ssd+", m_dir); }), HasSubstr("empty name"));
}

TEST_F(ProfilesDir, ListingShowsNamesAndFirstCommentLines) {
  write("b.conf", "# Second profile\n# more\nwork_mem = 4MB\n");
  write("a.conf", "  #   First profile  \n");
  write("notes.txt", "# not a profile\n");
  const auto entries = list_profiles(m_dir);
  ASSERT_EQ(entries.size(), 2U);
  EXPECT_EQ(entries[0].name, "a");
  EXPECT_EQ(entries[0].description, "First profile  ");
  EXPECT_EQ(entries[1].description, "Second profile");
}

TEST(ProfileValidation, EachBadSettingIsReportedWithFileAndLine) {
  const SettingsCatalog catalog = testing::small_catalog();
  auto error_for = [&](const std::string& text) {
    Profile profile;
    profile.settings = parse_conf(text, "bad.conf");
    return input_error([&] { validate_profile(profile, catalog); });
  };
  EXPECT_THAT(error_for("work_mem = 4MB\nshared_bufers = 1GB\n"),
              HasSubstr("bad.conf:2: unknown parameter \"shared_bufers\" (did you mean "
                        "\"shared_buffers\"?)"));
  EXPECT_THAT(error_for("work_mem = 12XB\n"), HasSubstr("bad.conf:1: invalid value for parameter "
                                                        "\"work_mem\": invalid unit 'XB'"));
  EXPECT_THAT(error_for("work_mem = 10\n"), HasSubstr("bad.conf:1: invalid value"));
  EXPECT_THAT(error_for("\nmax_connections = many\n"), HasSubstr("bad.conf:2: invalid value"));
  EXPECT_THAT(error_for("wal_level = bogus\n"), HasSubstr("bad.conf:1:"));
  EXPECT_THAT(error_for("block_size = 8192\n"), HasSubstr("bad.conf:1: parameter \"block_size\" "
                                                          "cannot be changed"));
}

TEST(ProfileValidation, GoodProfilesPass) {
  Profile profile;
  profile.settings = parse_conf(
      "shared_buffers = 512MB\nwal_level = replica\nrandom_page_cost = 1.1\n"
      "statement_timeout = 30s\nenable_seqscan = off\nssl_ciphers = 'HIGH'\n",
      "good.conf");
  EXPECT_NO_THROW(validate_profile(profile, testing::small_catalog()));
}

TEST(ProfileValidation, HarnessSettingsAreRecognized) {
  EXPECT_TRUE(is_harness_setting("port"));
  EXPECT_TRUE(is_harness_setting("Listen_Addresses"));
  EXPECT_FALSE(is_harness_setting("max_connections"));
}

}  // namespace
}  // namespace poolbench::cluster
