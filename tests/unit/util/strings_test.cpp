#include "util/strings.hpp"

#include <gtest/gtest.h>

namespace poolbench::util {
namespace {

TEST(EditDistance, CountsInsertionsDeletionsAndSubstitutions) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("pool_size", "pool_size"), 0u);
  EXPECT_EQ(edit_distance("pool_sise", "pool_size"), 1u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
}

TEST(ClosestMatch, SuggestsANearMissAndNothingForAStranger) {
  const std::vector<std::string> keys = {"pool_size", "max_overflow", "pool_timeout"};
  EXPECT_EQ(closest_match("pool_sise", keys), "pool_size");
  EXPECT_EQ(closest_match("max_overlow", keys), "max_overflow");
  EXPECT_EQ(closest_match("zebra", keys), "");
}

}  // namespace
}  // namespace poolbench::util
