// Statements rebuilt from log records and cut into requests (docs/capture.md).

#include "capture/requests.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "capture/sessions.hpp"

namespace poolbench::capture {
namespace {

LogRecord record(std::int64_t time_ms, const std::string& message, const std::string& detail = "",
                 std::int64_t pid = 7, const std::string& session = "a.1") {
  LogRecord r;
  r.time_us = time_ms * 1000;
  r.pid = pid;
  r.session = session;
  r.severity = "LOG";
  r.message = message;
  r.detail = detail;
  return r;
}

std::vector<Request> cut(std::vector<LogRecord> records, std::int64_t gap_ms = 5) {
  SessionBuilder builder;
  for (auto& r : records) builder.add(std::move(r));
  auto sessions = builder.take_sessions();
  return cut_requests(sessions, std::chrono::milliseconds(gap_ms));
}

TEST(SessionBuilder, AnExecuteStartsAtItsParseOrBindAndTakesItsParameters) {
  const auto requests = cut({
      record(100, "duration: 2.000 ms  parse S_1: SELECT $1"),
      record(101, "duration: 0.500 ms  bind S_1: SELECT $1", "parameters: $1 = 'it''s'"),
      record(103, "duration: 1.000 ms  execute S_1: SELECT $1",
             "parameters: $1 = 'it''s', $2 = NULL"),
  });
  ASSERT_EQ(requests.size(), 1U);
  const Statement& statement = requests[0].statements.at(0);
  EXPECT_EQ(statement.text, "SELECT $1");
  EXPECT_EQ(statement.start_us, 98'000);
  EXPECT_EQ(statement.end_us, 103'000);
  ASSERT_EQ(statement.params.size(), 2U);
  EXPECT_EQ(*statement.params[0], "it's");
  EXPECT_FALSE(statement.params[1].has_value());
}

TEST(SessionBuilder, LogStatementAllLinesTakeTheirDurationFromTheNextLine) {
  const auto requests =
      cut({record(100, "statement: SELECT 1"), record(104, "duration: 3.000 ms")});
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].statements[0].text, "SELECT 1");
  EXPECT_EQ(requests[0].start_us, 100'000);
  EXPECT_EQ(requests[0].end_us, 104'000);
}

TEST(SessionBuilder, ADurationNoServerCouldLogIsNotADurationLine) {
  // A year or more, negative, not finite: the start time (end minus duration) would be
  // nonsense or overflow, so the line is ignored like any other it does not understand.
  for (const char* duration : {"1e300", "-5.000", "inf", "nan", "31622400000.000"}) {
    const auto requests =
        cut({record(100, fmt::format("duration: {} ms  statement: SELECT 1", duration))});
    EXPECT_TRUE(requests.empty()) << duration;
  }
  const auto kept = cut({record(100, "duration: 31535999999.000 ms  statement: SELECT 1")});
  ASSERT_EQ(kept.size(), 1U);
  EXPECT_EQ(kept[0].start_us, 100'000 - 31'535'999'999'000);
}

TEST(SessionBuilder, PasswordBearingStatementsAreNeverKept) {
  SessionBuilder builder;
  builder.add(record(100, "duration: 1.000 ms  statement: ALTER ROLE app PASSWORD 'hunter22'"));
  builder.add(record(101, "duration: 1.000 ms  statement: create user x with\n password 'y'"));
  builder.add(record(102, "duration: 1.000 ms  statement: SELECT password FROM users"));
  auto sessions = builder.take_sessions();
  ASSERT_EQ(sessions.size(), 1U);
  ASSERT_EQ(sessions[0].statements.size(), 1U);
  EXPECT_EQ(sessions[0].statements[0].text, "SELECT password FROM users");
  EXPECT_EQ(builder.skipped().begin()->second, 2);
}

TEST(CutRequests, ARollbackEndsARequestAndATransactionBlockIsNeverCut) {
  const auto requests = cut({
      record(100, "duration: 0.010 ms  statement: BEGIN"),
      record(101, "duration: 0.100 ms  statement: SELECT 1"),
      record(150, "duration: 0.100 ms  statement: SELECT 2"),  // 49 ms of app time, in a block
      record(151, "duration: 0.010 ms  statement: ROLLBACK"),
      record(152, "duration: 0.100 ms  statement: SELECT 3"),  // 1 ms later: a new checkout
  });
  ASSERT_EQ(requests.size(), 2U);
  EXPECT_EQ(requests[0].statements.size(), 4U);
  EXPECT_EQ(requests[0].statements.back().text, "ROLLBACK");
  EXPECT_EQ(requests[1].statements[0].text, "SELECT 3");
}

TEST(CutRequests, OutsideABlockAnIdleGapLongerThanTheRequestGapEndsARequest) {
  const auto requests = cut({
      record(100, "duration: 0.100 ms  statement: SELECT 1"),
      record(104, "duration: 0.100 ms  statement: SELECT 2"),  // 4 ms: same checkout
      record(120, "duration: 0.100 ms  statement: SELECT 3"),  // 16 ms: the next one
      record(121, "duration: 0.100 ms  statement: SELECT 4", "", 8, "b.2"),
  });
  ASSERT_EQ(requests.size(), 3U);
  EXPECT_EQ(requests[0].statements.size(), 2U);
  EXPECT_EQ(requests[1].statements[0].text, "SELECT 3");
  EXPECT_EQ(requests[2].session, 1U);
}

TEST(TransactionEffect, KnowsBlockStartsEndsAndResets) {
  EXPECT_EQ(transaction_effect("  begin isolation level serializable"), TransactionEffect::begin);
  EXPECT_EQ(transaction_effect("START TRANSACTION"), TransactionEffect::begin);
  EXPECT_EQ(transaction_effect("COMMIT"), TransactionEffect::commit);
  EXPECT_EQ(transaction_effect("ROLLBACK"), TransactionEffect::reset);
  EXPECT_EQ(transaction_effect("DISCARD ALL"), TransactionEffect::reset);
  EXPECT_EQ(transaction_effect("ROLLBACK TO SAVEPOINT a"), TransactionEffect::none);
  EXPECT_EQ(transaction_effect("COMMIT PREPARED 'x'"), TransactionEffect::none);
  EXPECT_EQ(transaction_effect("SELECT 1"), TransactionEffect::none);
}

}  // namespace
}  // namespace poolbench::capture
