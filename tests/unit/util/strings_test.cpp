#include "util/strings.hpp"

#include <gtest/gtest.h>

namespace poolbench::util {
namespace {

TEST(EditDistance, CountsInsertionsDeletionsSubstitutionsAndAdjacentSwaps) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("pool_size", "pool_size"), 0u);
  EXPECT_EQ(edit_distance("pool_sise", "pool_size"), 1u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("scael", "scale"), 1u);  // two adjacent letters swapped: one edit
  EXPECT_EQ(edit_distance("ab", "ba"), 1u);
  EXPECT_EQ(edit_distance("ca", "abc"), 3u);  // optimal string alignment, not Damerau's 2
}

TEST(ClosestMatch, SuggestsANearMissAndNothingForAStranger) {
  const std::vector<std::string> keys = {"pool_size", "max_overflow", "pool_timeout"};
  EXPECT_EQ(closest_match("pool_sise", keys), "pool_size");
  EXPECT_EQ(closest_match("max_overlow", keys), "max_overflow");
  EXPECT_EQ(closest_match("zebra", keys), "");
}

}  // namespace
}  // namespace poolbench::util
