#include "pg/errors.hpp"

#include <gtest/gtest.h>

namespace poolbench::pg {
namespace {

struct TaxonomyRow {
  const char* sqlstate;
  ErrorKind kind;
};

TEST(ErrorTaxonomy, ClassifiesSqlstatesAsTheTableSays) {
  const TaxonomyRow rows[] = {
      {"08000", ErrorKind::connection}, {"08001", ErrorKind::connection},
      {"08003", ErrorKind::connection}, {"08004", ErrorKind::connection},
      {"08006", ErrorKind::connection}, {"08007", ErrorKind::connection},
      {"08P01", ErrorKind::connection}, {"57P01", ErrorKind::connection},
      {"57P02", ErrorKind::connection}, {"57P03", ErrorKind::connection},
      {"", ErrorKind::connection},      {"40001", ErrorKind::retryable},
      {"40P01", ErrorKind::retryable},  {"57014", ErrorKind::statement},
      {"42P01", ErrorKind::statement},  {"23505", ErrorKind::statement},
      {"53300", ErrorKind::statement},  {"40002", ErrorKind::statement},
      {"25P02", ErrorKind::statement},  {"57P04", ErrorKind::statement},
  };
  for (const TaxonomyRow& row : rows) {
    EXPECT_EQ(classify_sqlstate(row.sqlstate), row.kind) << "SQLSTATE '" << row.sqlstate << "'";
  }
}

TEST(ErrorTaxonomy, LostConnectionWithoutSqlstateCountsAs08006AndPoisons) {
  const PgFailure failure =
      classify_statement_error("", true, "server closed the connection unexpectedly\n");
  EXPECT_EQ(failure.kind, ErrorKind::connection);
  EXPECT_EQ(failure.sqlstate, "08006");
  EXPECT_EQ(failure.message, "server closed the connection unexpectedly");
}

TEST(ErrorTaxonomy, TerminatedBackendKeepsItsSqlstateAndPoisons) {
  const PgFailure failure = classify_statement_error(
      "57P01", true, "FATAL:  terminating connection due to administrator command");
  EXPECT_EQ(failure.kind, ErrorKind::connection);
  EXPECT_EQ(failure.sqlstate, "57P01");
}

TEST(ErrorTaxonomy, AnyErrorOnABadConnectionPoisonsIt) {
  EXPECT_EQ(classify_statement_error("42P01", true, "x").kind, ErrorKind::connection);
  EXPECT_EQ(classify_statement_error("42P01", false, "x").kind, ErrorKind::statement);
  EXPECT_EQ(classify_statement_error("40001", false, "x").kind, ErrorKind::retryable);
}

TEST(ErrorTaxonomy, ClientSideErrorOnAHealthyConnectionIsAStatementError) {
  const PgFailure failure =
      classify_statement_error("", false, "another command is already in progress");
  EXPECT_EQ(failure.kind, ErrorKind::statement);
  EXPECT_EQ(failure.sqlstate, k_sqlstate_client_error);
}

TEST(ErrorTaxonomy, FailedConnectWithoutSqlstateCountsAs08001) {
  const PgFailure failure = classify_connect_error(
      "connection to server at \"127.0.0.1\", port 1 failed: Connection refused\n");
  EXPECT_EQ(failure.kind, ErrorKind::connection);
  EXPECT_EQ(failure.sqlstate, "08001");
}

TEST(ErrorTaxonomy, TooManyClientsIsRecognisedFromTheMessageText) {
  EXPECT_EQ(classify_connect_error("connection to server at \"127.0.0.1\", port 5432 failed: "
                                   "FATAL:  sorry, too many clients already")
                .sqlstate,
            "53300");
  EXPECT_EQ(classify_connect_error("FATAL:  remaining connection slots are reserved for "
                                   "non-replication superuser connections")
                .sqlstate,
            "53300");
  EXPECT_EQ(sqlstate_from_message("FATAL:  the database system is starting up"), "57P03");
  EXPECT_EQ(sqlstate_from_message("FATAL:  password authentication failed for user \"x\""),
            "28P01");
  EXPECT_EQ(sqlstate_from_message("could not translate host name"), "");
}

TEST(ErrorTaxonomy, KindsHaveStableNames) {
  EXPECT_EQ(to_string(ErrorKind::connection), "connection");
  EXPECT_EQ(to_string(ErrorKind::retryable), "retryable");
  EXPECT_EQ(to_string(ErrorKind::statement), "statement");
}

}  // namespace
}  // namespace poolbench::pg
