// The log reader: csvlog and stderr records, their prefixes and what it refuses.

#include "capture/log_record.hpp"

#include <gtest/gtest.h>

#include "util/error.hpp"

namespace poolbench::capture {
namespace {

std::vector<LogRecord> read(const std::string& text) {
  std::vector<LogRecord> out;
  read_log_text(text, "test.log", [&](LogRecord&& record) { out.push_back(std::move(record)); });
  return out;
}

std::string error_of(const std::string& text) {
  try {
    read(text);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

/// A csvlog line of PostgreSQL 15 (26 columns) with this message and detail.
std::string csv_line(const std::string& time, const std::string& message,
                     const std::string& detail = "") {
  return time + " UTC,\"app\",\"shop\",4242,\"127.0.0.1:5000\",6b11487e.cec,7,\"SELECT\"," + time +
         " UTC,3/7,0,LOG,00000,\"" + message + "\",\"" + detail +
         "\",,,,,,,,\"app\",client backend,,0\n";
}

TEST(LogTime, ReadsMillisecondsAndNumericZones) {
  EXPECT_EQ(parse_log_time("1970-01-01 00:00:01.250 UTC").first, 1'250'000);
  EXPECT_EQ(parse_log_time("1970-01-01 01:00:01 +01").first, 1'000'000);
  EXPECT_EQ(parse_log_time("1970-01-01 00:00:00.5 -00:30").first, 1'800'500'000);
  EXPECT_EQ(parse_log_time("2026-12-03 10:46:28.669 GMT").first, 1'796'294'788'669'000);
  EXPECT_EQ(parse_log_time("not a time").second, 0U);
}

TEST(StderrLog, ReadsThePrefixSessionSeverityAndFoldsDetailAndContinuationLines) {
  const auto records = read(
      "2026-12-03 10:46:28.669 GMT [3308] 6b11487e.cec app@shop LOG:  duration: 0.066 ms  "
      "execute S_1: UPDATE t\n"
      "\tSET x = $1\n"
      "2026-12-03 10:46:28.669 GMT [3308] 6b11487e.cec app@shop DETAIL:  parameters: $1 = '3'\n"
      "2026-12-03 10:46:28.670 GMT [3309] LOG:  connection received: host=[local]\n");
  ASSERT_EQ(records.size(), 2U);
  EXPECT_EQ(records[0].pid, 3308);
  EXPECT_EQ(records[0].session, "6b11487e.cec");
  EXPECT_EQ(records[0].severity, "LOG");
  EXPECT_EQ(records[0].message, "duration: 0.066 ms  execute S_1: UPDATE t\nSET x = $1");
  EXPECT_EQ(records[0].detail, "parameters: $1 = '3'");
  EXPECT_EQ(records[1].session, "");
  EXPECT_EQ(records[1].line, 4U);
}

TEST(CsvLog, ReadsQuotedMultiLineFieldsOfPostgres15sColumns) {
  const auto records =
      read(csv_line("2026-12-03 10:46:28.669", "duration: 1.000 ms  statement: SELECT\n\"\"a\"\"") +
           csv_line("2026-12-03 10:46:28.670", "x", "parameters: $1 = 'b'"));
  ASSERT_EQ(records.size(), 2U);
  EXPECT_EQ(records[0].message, "duration: 1.000 ms  statement: SELECT\n\"a\"");
  EXPECT_EQ(records[0].user, "app");
  EXPECT_EQ(records[0].database, "shop");
  EXPECT_EQ(records[1].line, 3U);
  EXPECT_EQ(records[1].detail, "parameters: $1 = 'b'");
}

TEST(LogReader, RefusesWhatItDoesNotKnowNamingFileAndLine) {
  EXPECT_NE(error_of("hello world\n").find("test.log:1: not a PostgreSQL log line"),
            std::string::npos);
  EXPECT_NE(error_of("10:46:28 [12] LOG:  x\n").find("test.log:1:"), std::string::npos);
  // An empty process id (found by fuzz_capture_log) is a line it does not know, not a crash.
  EXPECT_NE(error_of("2026-12-03 10:46:28.669 GMT [] LOG:  x\n").find("test.log:1:"),
            std::string::npos);
  std::string csv13 = csv_line("2026-12-03 10:46:28.669", "x");
  csv13.erase(csv13.rfind(",,0"));  // PostgreSQL 13: no leader_pid and query_id
  EXPECT_NE(error_of(csv13 + "\n").find("test.log:1: a csvlog record of 24 columns"),
            std::string::npos)
      << error_of(csv13 + "\n");
  EXPECT_NE(error_of(csv_line("2026-12-03 10:46:28.669", "x") + "2026-12-03 10:46:28.669 UTC,\"a")
                .find("test.log:2:"),
            std::string::npos);
  EXPECT_NE(error_of(std::string("2026-12-03 10:46:28.669 GMT [1] LOG:  a\n\0b\n", 44))
                .find("test.log:2: a NUL byte"),
            std::string::npos);
  EXPECT_NE(
      error_of("2026-12-03 10:46:28.669 GMT [1] LOG:  a\n2026-12-03 10:46").find("test.log:2:"),
      std::string::npos);
}

}  // namespace
}  // namespace poolbench::capture
