#include "pg/dsn.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "env_map.hpp"
#include "util/error.hpp"

namespace poolbench::pg {
namespace {

using testing::env_of;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

/// The InputError message of parse_dsn(text, source); fails the test if none is thrown.
std::string input_error(const std::string& text, const std::string& source = "--dsn") {
  try {
    parse_dsn(text, source);
  } catch (const InputError& error) {
    EXPECT_EQ(error.exit_code(), ExitCode::bad_input);
    return error.what();
  }
  ADD_FAILURE() << "no InputError for " << text;
  return {};
}

TEST(ParseDsn, AcceptsAPlainLibpqUri) {
  const ParsedDsn parsed = parse_dsn("postgresql://appuser:devpass@localhost:5433/appdb", "--dsn");
  EXPECT_EQ(parsed.target.get("user"), "appuser");
  EXPECT_EQ(parsed.target.get("password"), "devpass");
  EXPECT_EQ(parsed.target.get("host"), "localhost");
  EXPECT_EQ(parsed.target.get("port"), "5433");
  EXPECT_EQ(parsed.target.get("dbname"), "appdb");
  EXPECT_EQ(parsed.target.masked(), "postgresql://appuser:****@localhost:5433/appdb");
  EXPECT_EQ(parsed.target.source(), "--dsn");
  EXPECT_TRUE(parsed.pool.empty());
}

TEST(ParseDsn, AcceptsTheSeedsDriverSchemesAndPostgresScheme) {
  for (const char* scheme : {"postgresql+asyncpg", "postgresql+psycopg2", "postgres", "postgresql",
                             "POSTGRESQL+ASYNCPG"}) {
    const ParsedDsn parsed =
        parse_dsn(std::string(scheme) + "://user:password@postgres:5432/app_db", "--dsn");
    EXPECT_EQ(parsed.target.get("host"), "postgres") << scheme;
    EXPECT_EQ(parsed.target.get("dbname"), "app_db") << scheme;
    EXPECT_EQ(parsed.target.get("password"), "password") << scheme;
    EXPECT_THAT(parsed.target.masked(), HasSubstr("user:****@postgres")) << scheme;
  }
}

TEST(ParseDsn, AcceptsKeyValueStrings) {
  const ParsedDsn parsed = parse_dsn("host=/tmp port=5432 dbname=bench password='a b'", "--dsn");
  EXPECT_EQ(parsed.target.get("host"), "/tmp");
  EXPECT_EQ(parsed.target.get("password"), "a b");
  EXPECT_EQ(parsed.target.masked(), "host=/tmp port=5432 dbname=bench password=****");
}

TEST(ParseDsn, TakesPoolParametersOutOfTheUrl) {
  const ParsedDsn parsed = parse_dsn(
      "postgresql://u:p@h/db?pool_size=10&max_overflow=5&pool_timeout=2.5&pool_recycle=1800"
      "&pool_pre_ping=true&sslmode=require",
      "POOLBENCH_DSN");
  EXPECT_EQ(parsed.pool.pool_size.value, 10);
  EXPECT_EQ(parsed.pool.pool_size.source, "POOLBENCH_DSN");
  EXPECT_EQ(parsed.pool.max_overflow.value, 5);
  EXPECT_EQ(parsed.pool.pool_timeout.value, 2500ms);
  EXPECT_EQ(parsed.pool.pool_recycle.value, 1800s);
  EXPECT_EQ(parsed.pool.pool_pre_ping.value, true);
  EXPECT_EQ(parsed.target.get("sslmode"), "require");
  EXPECT_EQ(parsed.target.get("pool_size"), std::nullopt);
}

TEST(ParseDsn, AcceptsThePoolSentinels) {
  const ParsedDsn parsed =
      parse_dsn("postgresql://h/db?pool_size=0&max_overflow=-1&pool_recycle=-1", "--dsn");
  EXPECT_EQ(parsed.pool.pool_size.value, 0);
  EXPECT_EQ(parsed.pool.max_overflow.value, -1);
  EXPECT_EQ(parsed.pool.pool_recycle.value, k_recycle_never);
}

TEST(ParseDsn, DurationsTakeUnits) {
  const ParsedDsn parsed =
      parse_dsn("postgresql://h/db?pool_timeout=300ms&pool_recycle=30m", "--dsn");
  EXPECT_EQ(parsed.pool.pool_timeout.value, 300ms);
  EXPECT_EQ(parsed.pool.pool_recycle.value, 30min);
}

TEST(ParseDsn, BadPoolParametersNameTheParameterAndTheSource) {
  struct Case {
    const char* query;
    const char* parameter;
  };
  const Case cases[] = {
      {"pool_size=-1", "pool_size"},       {"pool_size=ten", "pool_size"},
      {"pool_size=1.5", "pool_size"},      {"max_overflow=-2", "max_overflow"},
      {"pool_timeout=-1", "pool_timeout"}, {"pool_timeout=abc", "pool_timeout"},
      {"pool_recycle=x", "pool_recycle"},  {"pool_pre_ping=maybe", "pool_pre_ping"},
      {"pool_size=", "pool_size"},         {"pool_size=99999999999", "pool_size"},
  };
  for (const Case& c : cases) {
    const std::string message =
        input_error(std::string("postgresql://u:s3cret@h/db?") + c.query, "POOLBENCH_DSN");
    EXPECT_THAT(message, HasSubstr("POOLBENCH_DSN")) << c.query;
    EXPECT_THAT(message, HasSubstr(c.parameter)) << c.query;
    EXPECT_THAT(message, Not(HasSubstr("s3cret"))) << c.query;
  }
}

TEST(ParseDsn, MapsAsyncpgSslToSslmode) {
  EXPECT_EQ(
      parse_dsn("postgresql+asyncpg://u:p@h:5432/db?ssl=require", "--dsn").target.get("sslmode"),
      "require");
  EXPECT_EQ(parse_dsn("postgresql://h/db?ssl=verify-full", "--dsn").target.get("sslmode"),
            "verify-full");
  EXPECT_EQ(parse_dsn("postgresql://h/db?ssl=true", "--dsn").target.get("sslmode"), "require");
  EXPECT_THAT(input_error("postgresql://h/db?ssl=sometimes"), HasSubstr("ssl"));
  EXPECT_THAT(input_error("postgresql://h/db?ssl=require&sslmode=disable"), HasSubstr("sslmode"));
}

TEST(ParseDsn, ValuesLibpqChecksOnlyWhenConnectingAreBadInputAtOnce) {
  EXPECT_THAT(input_error("postgresql://u@h/db?sslmode=sometimes"),
              HasSubstr("--dsn: sslmode=\"sometimes\" is not valid; expected disable, allow, "
                        "prefer, require, verify-ca or verify-full"));
  EXPECT_THAT(input_error("host=h gssencmode=always"), HasSubstr("gssencmode=\"always\""));
  EXPECT_THAT(input_error("postgresql://u@h/db?target_session_attrs=primry"),
              HasSubstr("target_session_attrs"));
  EXPECT_THAT(input_error("postgresql://u@h:99999/db"),
              HasSubstr("the port must be a number from 1 to 65535, got '99999'"));
  EXPECT_THAT(input_error("host=a,b port=5432,0"), HasSubstr("got '5432,0'"));
  EXPECT_EQ(parse_dsn("host=a,b port=5432,", "--dsn").target.get("port"), "5432,");
}

TEST(ParseDsn, AUrlWithASpaceIsBadInputWithoutEchoingIt) {
  const std::string message = input_error("postgresql://u:my secret@h/db");
  EXPECT_THAT(message, HasSubstr("--dsn: a URL cannot contain spaces"));
  EXPECT_THAT(message, Not(HasSubstr("secret")));
  EXPECT_THAT(input_error("postgresql://u@h/app\n  pool_size: 3"), HasSubstr("line breaks"));
  EXPECT_EQ(parse_dsn("host=h dbname=app", "--dsn").target.get("dbname"), "app");  // key=value
}

TEST(ParseDsn, LeavesLibpqParametersToLibpq) {
  const ParsedDsn parsed = parse_dsn(
      "postgresql://u@h/db?sslmode=verify-ca&sslrootcert=/run/secrets/ca-bundle.crt"
      "&passfile=/tmp/pgpass&application_name=x",
      "--dsn");
  EXPECT_EQ(parsed.target.get("sslrootcert"), "/run/secrets/ca-bundle.crt");
  EXPECT_EQ(parsed.target.get("passfile"), "/tmp/pgpass");
  EXPECT_EQ(parsed.target.get("sslmode"), "verify-ca");
}

TEST(ParseDsn, NonPostgresqlUrlsSayPoolbenchMeasuresPostgresql) {
  for (const char* url :
       {"sqlite:///./database.db", "sqlite:///:memory:", "mysql://root:hunter2@db/x",
        "mssql+pyodbc://u:hunter2@h/db", "sqlite:relative.db"}) {
    const std::string message = input_error(url);
    EXPECT_THAT(message, HasSubstr("poolbench measures PostgreSQL")) << url;
    EXPECT_THAT(message, HasSubstr("--dsn")) << url;
    EXPECT_THAT(message, Not(HasSubstr("hunter2"))) << url;
  }
}

TEST(ParseDsn, LibpqParseErrorsNameTheSourceAndHideThePassword) {
  std::string message = input_error("postgresql://u:s3cret@h/db?bogus=1", "POOLBENCH_DSN");
  EXPECT_THAT(message, HasSubstr("POOLBENCH_DSN"));
  EXPECT_THAT(message, HasSubstr("bogus"));
  EXPECT_THAT(message, Not(HasSubstr("s3cret")));
  message = input_error("host=h password=s3cret nonsense");
  EXPECT_THAT(message, HasSubstr("--dsn"));
  EXPECT_THAT(message, Not(HasSubstr("s3cret")));
  message = input_error("postgresql://u:s3%zzcret@h/db");
  EXPECT_THAT(message, Not(HasSubstr("s3%zzcret")));
  EXPECT_THAT(message, Not(HasSubstr("zzcret")));
}

TEST(ParseDsn, EmptyDsnIsAnInputError) {
  EXPECT_THAT(input_error("   "), HasSubstr("empty"));
}

TEST(ConnectionTarget, ConninfoRoundTripsThroughLibpq) {
  ParsedDsn parsed = parse_dsn("postgresql://u:p%27q%5Cr@h:5/db", "--dsn");
  parsed.target.set("application_name", "x y");
  const ParsedDsn again = parse_dsn(parsed.target.conninfo(), "test");
  EXPECT_EQ(again.target.get("password"), "p'q\\r");
  EXPECT_EQ(again.target.get("application_name"), "x y");
  EXPECT_EQ(again.target.get("port"), "5");
}

TEST(DsnFromFlagOrEnv, FlagWinsOverTheVariable) {
  const auto env = env_of({{"POOLBENCH_DSN", "postgresql://envhost/db"}});
  EXPECT_EQ(dsn_from_flag_or_env(std::string("postgresql://flaghost/db"), env)->target.get("host"),
            "flaghost");
  const auto from_env = dsn_from_flag_or_env(std::nullopt, env);
  ASSERT_TRUE(from_env);
  EXPECT_EQ(from_env->target.get("host"), "envhost");
  EXPECT_EQ(from_env->target.source(), "POOLBENCH_DSN");
  EXPECT_FALSE(dsn_from_flag_or_env(std::nullopt, env_of({})));
  EXPECT_FALSE(dsn_from_flag_or_env(std::nullopt, env_of({{"POOLBENCH_DSN", ""}})));
}

TEST(DsnFromFlagOrEnv, BadVariableIsNamedInTheError) {
  try {
    dsn_from_flag_or_env(std::nullopt, env_of({{"POOLBENCH_DSN", "sqlite:///x.db"}}));
    FAIL() << "no error";
  } catch (const InputError& error) {
    EXPECT_THAT(error.what(), HasSubstr("POOLBENCH_DSN"));
  }
}

TEST(PoolOverrides, LaterSourcesWinFieldByField) {
  PoolOverrides earlier;
  earlier.pool_size.set(20, "config.yaml: database.pool_size");
  earlier.max_overflow.set(10, "config.yaml: database.max_overflow");
  PoolOverrides later;
  later.pool_size.set(5, "--dsn");
  earlier.merge(later);
  EXPECT_EQ(earlier.pool_size.value, 5);
  EXPECT_EQ(earlier.pool_size.source, "--dsn");
  EXPECT_EQ(earlier.max_overflow.value, 10);
  EXPECT_EQ(earlier.max_overflow.source, "config.yaml: database.max_overflow");
  EXPECT_FALSE(earlier.empty());
  EXPECT_TRUE(PoolOverrides{}.empty());
}

TEST(ParseDuration, BareNumbersAreSecondsAndUnitsAreHonoured) {
  EXPECT_EQ(parse_duration("30"), 30s);
  EXPECT_EQ(parse_duration("0.25"), 250ms);
  EXPECT_EQ(parse_duration(" 1.5 "), 1500ms);
  EXPECT_EQ(parse_duration("500us"), 500us);
  EXPECT_EQ(parse_duration("300ms"), 300ms);
  EXPECT_EQ(parse_duration("2s"), 2s);
  EXPECT_EQ(parse_duration("30m"), 30min);
  EXPECT_EQ(parse_duration("1h"), 1h);
  EXPECT_EQ(parse_duration("-1"), -1s);
  EXPECT_EQ(parse_duration(""), std::nullopt);
  EXPECT_EQ(parse_duration("abc"), std::nullopt);
  EXPECT_EQ(parse_duration("1e3"), std::nullopt);
  EXPECT_EQ(parse_duration("5 days"), std::nullopt);
  EXPECT_EQ(parse_duration("nan"), std::nullopt);
}

TEST(ParsePoolRecycle, AnyNegativeMeansNever) {
  EXPECT_EQ(parse_pool_recycle("-1", "x"), k_recycle_never);
  EXPECT_EQ(parse_pool_recycle("-5", "x"), k_recycle_never);
  EXPECT_EQ(parse_pool_recycle("0", "x"), 0s);
}

TEST(ParsePoolPrePing, AcceptsCommonBooleanSpellings) {
  for (const char* yes : {"true", "True", "yes", "on", "1"})
    EXPECT_TRUE(parse_pool_pre_ping(yes, "x"));
  for (const char* no : {"false", "FALSE", "no", "off", "0"})
    EXPECT_FALSE(parse_pool_pre_ping(no, "x"));
}

}  // namespace
}  // namespace poolbench::pg
