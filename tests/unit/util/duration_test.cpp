#include "util/duration.hpp"

#include <gtest/gtest.h>

namespace poolbench::util {
namespace {

using namespace std::chrono_literals;

TEST(ParseDuration, ABareNumberIsSeconds) {
  EXPECT_EQ(parse_duration("30"), std::chrono::microseconds(30s));
  EXPECT_EQ(parse_duration("0.5"), std::chrono::microseconds(500ms));
}

TEST(ParseDuration, AcceptsEveryUnit) {
  EXPECT_EQ(parse_duration("250us"), std::chrono::microseconds(250));
  EXPECT_EQ(parse_duration("20ms"), std::chrono::microseconds(20ms));
  EXPECT_EQ(parse_duration("1.5s"), std::chrono::microseconds(1500ms));
  EXPECT_EQ(parse_duration("2m"), std::chrono::microseconds(120s));
  EXPECT_EQ(parse_duration("1h"), std::chrono::microseconds(3600s));
  EXPECT_EQ(parse_duration(" 10 ms "), std::chrono::microseconds(10ms));
}

TEST(ParseDuration, KeepsTheSignForCallersThatGiveItAMeaning) {
  EXPECT_EQ(parse_duration("-1"), std::chrono::microseconds(-1s));
}

TEST(ParseDuration, RejectsWhatIsNotADuration) {
  for (const char* bad : {"", "ms", "10 parsecs", "1.2.3s", "abc", "10sec", "-", "1e400"}) {
    EXPECT_EQ(parse_duration(bad), std::nullopt) << bad;
  }
}

TEST(FormatDuration, UsesTheLargestExactUnit) {
  EXPECT_EQ(format_duration(30s), "30s");
  EXPECT_EQ(format_duration(250ms), "250ms");
  EXPECT_EQ(format_duration(1500ms), "1500ms");
  EXPECT_EQ(format_duration(std::chrono::microseconds(7)), "7us");
  EXPECT_EQ(format_duration(120s), "2m");
  EXPECT_EQ(format_duration(0s), "0s");
}

}  // namespace
}  // namespace poolbench::util
