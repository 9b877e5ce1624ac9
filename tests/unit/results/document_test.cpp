#include "results/document.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "version.hpp"

namespace poolbench::results {
namespace {

using ::testing::HasSubstr;

TEST(BuildWarning, AnOptimizedBuildWithoutSanitizersHasNone) {
  EXPECT_EQ(build_warning("Release", ""), std::nullopt);
  EXPECT_EQ(build_warning("RelWithDebInfo", ""), std::nullopt);
  EXPECT_EQ(build_warning("MinSizeRel", ""), std::nullopt);
}

TEST(BuildWarning, ADebugOrUnspecifiedBuildIsNamed) {
  const auto debug = build_warning("Debug", "");
  ASSERT_TRUE(debug);
  EXPECT_THAT(*debug, HasSubstr("a Debug build (not optimized)"));
  EXPECT_THAT(*debug, HasSubstr("not comparable with a release build's"));
  ASSERT_TRUE(build_warning("unspecified", ""));
  EXPECT_THAT(*build_warning("unspecified", ""), HasSubstr("unspecified build"));
}

TEST(BuildWarning, SanitizersAreNamedAlsoInAnOptimizedBuild) {
  const auto tsan = build_warning("RelWithDebInfo", "thread");
  ASSERT_TRUE(tsan);
  EXPECT_THAT(*tsan, HasSubstr("built with -fsanitize=thread"));
  const auto asan = build_warning("Debug", "address,undefined");
  ASSERT_TRUE(asan);
  EXPECT_THAT(*asan, HasSubstr("a Debug build (not optimized), built with "
                               "-fsanitize=address,undefined"));
}

TEST(BuildWarning, ResultsRecordThisBinarysWarningExactlyWhenItHasOne) {
  const nlohmann::json tool = tool_json();
  const auto warning = build_warning(k_build_type, k_sanitizers);
  EXPECT_EQ(tool.contains("build_warning"), warning.has_value());
  if (warning) {
    EXPECT_EQ(tool["build_warning"], *warning);
  }
}

}  // namespace
}  // namespace poolbench::results
