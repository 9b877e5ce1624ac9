#include <gtest/gtest.h>

#include "cli/run_binary.hpp"
#include "cli/run_fixture.hpp"

using poolbench::testing::run_process;

namespace {

using poolbench::testing::k_binary;

TEST(CliBasic, HelpExitsZeroAndTeachesTheCommandsAndExitCodes) {
  const auto result = run_process(k_binary, {"--help"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(result.out.find("Usage: poolbench"), std::string::npos);
  EXPECT_NE(result.out.find("Exit codes"), std::string::npos);
  EXPECT_NE(result.out.find("POOLBENCH_DSN"), std::string::npos);
  EXPECT_TRUE(result.err.empty());
}

TEST(CliBasic, VersionPrintsVersionCommitAndBuildType) {
  const auto result = run_process(k_binary, {"--version"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_TRUE(result.out.starts_with("poolbench 0.")) << result.out;
  EXPECT_NE(result.out.find("git "), std::string::npos);
  EXPECT_NE(result.out.find("RelWithDebInfo"), std::string::npos) << result.out;
}

TEST(CliBasic, UnknownCommandExitsTwoWithOneClearLineAndAHint) {
  const auto result = run_process(k_binary, {"frobnicate"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(result.out.empty());
  EXPECT_NE(result.err.find("unknown command 'frobnicate'"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("poolbench --help"), std::string::npos);
}

TEST(CliBasic, UnknownGlobalFlagExitsTwo) {
  const auto result = run_process(k_binary, {"--frobnicate"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("unknown option '--frobnicate'"), std::string::npos) << result.err;
}

TEST(CliBasic, NoCommandExitsTwoWithAHint) {
  const auto result = run_process(k_binary, {});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("poolbench --help"), std::string::npos);
}

}  // namespace
