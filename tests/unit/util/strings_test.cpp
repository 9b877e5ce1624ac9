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

TEST(Iequals, IgnoresAsciiCaseOnlyAndNeedsEqualLengths) {
  EXPECT_TRUE(iequals("RANDOM_zipfian", "random_ZIPFIAN"));
  EXPECT_TRUE(iequals("", ""));
  EXPECT_FALSE(iequals("and", "an"));
  EXPECT_FALSE(iequals("on", "of"));
  EXPECT_FALSE(iequals("\xc3\x89", "\xc3\xa9"));  // UTF-8 É and é: ASCII only
}

TEST(ClosestMatch, SuggestsANearMissAndNothingForAStranger) {
  const std::vector<std::string> keys = {"pool_size", "max_overflow", "pool_timeout"};
  EXPECT_EQ(closest_match("pool_sise", keys), "pool_size");
  EXPECT_EQ(closest_match("max_overlow", keys), "max_overflow");
  EXPECT_EQ(closest_match("zebra", keys), "");
}

TEST(FirstInvalidUtf8, AcceptsWellFormedTextAndPointsAtTheFirstBadByte) {
  EXPECT_EQ(first_invalid_utf8(""), std::nullopt);
  EXPECT_EQ(first_invalid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x98"), std::nullopt);
  EXPECT_EQ(first_invalid_utf8("caf\xe9 au lait"), 3u);   // Latin-1
  EXPECT_EQ(first_invalid_utf8("ab\xc3"), 2u);            // truncated sequence
  EXPECT_EQ(first_invalid_utf8("\xc0\xaf"), 0u);          // overlong '/'
  EXPECT_EQ(first_invalid_utf8("x\xed\xa0\x80"), 1u);     // a surrogate
  EXPECT_EQ(first_invalid_utf8("\xf4\x90\x80\x80"), 0u);  // above U+10FFFF
  EXPECT_EQ(first_invalid_utf8("\xe2\x28\xa1"), 0u);      // bad continuation
}

TEST(LineAndColumn, CountFromOne) {
  EXPECT_EQ(line_and_column("ab\ncd", 0), std::make_pair(1, 1));
  EXPECT_EQ(line_and_column("ab\ncd", 4), std::make_pair(2, 2));
  EXPECT_EQ(line_and_column("ab\ncd", 99), std::make_pair(2, 3));
}

}  // namespace
}  // namespace poolbench::util
