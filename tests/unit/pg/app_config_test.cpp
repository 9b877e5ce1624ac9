#include "pg/app_config.hpp"

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "env_map.hpp"
#include "util/error.hpp"

namespace poolbench::pg {
namespace {

using testing::env_of;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

std::string expand_error(const std::string& text, const EnvLookup& env) {
  try {
    expand_variables(text, env, "config.yaml: database.url (line 2)");
  } catch (const InputError& error) {
    return error.what();
  }
  ADD_FAILURE() << "no InputError for " << text;
  return {};
}

std::string config_error(const std::string& yaml, const EnvLookup& env) {
  try {
    parse_app_config(yaml, "config.yaml", env);
  } catch (const InputError& error) {
    EXPECT_EQ(error.exit_code(), ExitCode::bad_input);
    return error.what();
  }
  ADD_FAILURE() << "no InputError for " << yaml;
  return {};
}

/// A file removed at the end of the test.
class TempFile {
 public:
  explicit TempFile(const std::string& content)
      : m_path(std::filesystem::temp_directory_path() /
               ("poolbench-pg-test-" + std::to_string(::getpid()) + "-" +
                std::to_string(s_counter++))) {
    std::ofstream(m_path) << content;
  }
  ~TempFile() { std::filesystem::remove(m_path); }
  std::string path() const { return m_path.string(); }

 private:
  static inline int s_counter = 0;
  std::filesystem::path m_path;
};

TEST(ExpandVariables, SubstitutesSetVariables) {
  EXPECT_EQ(expand_variables("${A}", env_of({{"A", "x"}}), "p"), "x");
  EXPECT_EQ(expand_variables("${A:-d}", env_of({{"A", "x"}}), "p"), "x");
}

TEST(ExpandVariables, UsesTheDefaultWhenUnsetOrEmpty) {
  EXPECT_EQ(expand_variables("${A:-dflt}", env_of({}), "p"), "dflt");
  EXPECT_EQ(expand_variables("${A:-dflt}", env_of({{"A", ""}}), "p"), "dflt");
  EXPECT_EQ(expand_variables("${A:-}", env_of({}), "p"), "");
  EXPECT_EQ(expand_variables("${A-dflt}", env_of({{"A", ""}}), "p"), "");
  EXPECT_EQ(expand_variables("${A-dflt}", env_of({}), "p"), "dflt");
}

TEST(ExpandVariables, SetButEmptyVariableWithoutDefaultIsEmpty) {
  EXPECT_EQ(expand_variables("a${A}b", env_of({{"A", ""}}), "p"), "ab");
}

TEST(ExpandVariables, ExpandsInsideSurroundingText) {
  const auto env = env_of({{"PW", "s3cret"}, {"HOST", "db"}});
  EXPECT_EQ(
      expand_variables("postgresql://appuser:${PW}@${HOST:-localhost}:5432/${DB:-appdb}", env, "p"),
      "postgresql://appuser:s3cret@db:5432/appdb");
  EXPECT_EQ(expand_variables("cost $5 and ${HOST}$", env, "p"), "cost $5 and db$");
}

TEST(ExpandVariables, DefaultsMayThemselvesContainVariables) {
  EXPECT_EQ(expand_variables("${A:-${B:-c}}", env_of({{"B", "b"}}), "p"), "b");
  EXPECT_EQ(expand_variables("${A:-${B:-c}}", env_of({}), "p"), "c");
  EXPECT_EQ(expand_variables("${A:-x${B}y}", env_of({{"B", "-"}}), "p"), "x-y");
  // An unused default is not expanded, so its unset variables are no error.
  EXPECT_EQ(expand_variables("${A:-${UNSET}}", env_of({{"A", "a"}}), "p"), "a");
  EXPECT_EQ(expand_variables("${URL:-postgresql://u:p@h/db}", env_of({}), "p"),
            "postgresql://u:p@h/db");
}

TEST(ExpandVariables, UnsetVariableWithoutDefaultIsAnErrorNamingIt) {
  const std::string message = expand_error("x${DATABASE_URL}", env_of({}));
  EXPECT_THAT(message, HasSubstr("DATABASE_URL"));
  EXPECT_THAT(message, HasSubstr("not set"));
  EXPECT_THAT(message, HasSubstr("config.yaml: database.url"));
}

TEST(ExpandVariables, UnterminatedBraceIsAnErrorThatDoesNotEchoTheText) {
  const std::string message = expand_error("postgresql://u:s3cret@h/${DB", env_of({}));
  EXPECT_THAT(message, HasSubstr("unterminated"));
  EXPECT_THAT(message, HasSubstr("config.yaml: database.url"));
  EXPECT_THAT(message, Not(HasSubstr("s3cret")));
  EXPECT_THAT(expand_error("${A:-${B}", env_of({})), HasSubstr("unterminated"));
}

TEST(ExpandVariables, BadNamesAreErrors) {
  EXPECT_THAT(expand_error("${}", env_of({})), HasSubstr("NAME"));
  EXPECT_THAT(expand_error("${1A}", env_of({})), HasSubstr("NAME"));
  EXPECT_THAT(expand_error("${A:=x}", env_of({})), HasSubstr("NAME"));
}

constexpr const char* k_seed_config = R"(database:
  # Connection URL with environment variable substitution
  url: "${DATABASE_URL:-postgresql+asyncpg://user:password@postgres:5432/app_db}"
  app_db: "${APP_DB:-appdb}"
  owner_user: "${APP_DB_OWNER:-appowner}"
  user: "${APP_DB_USER:-appuser}"
  ro_user: "${APP_DB_RO_USER:-backupuser}"
  pool_size: 20 # Base pool size
  max_overflow: 10 # Additional connections beyond base
  pool_timeout: 30 # Wait time for available connection (seconds)
  pool_recycle: 1800 # Recycle connections after 30 minutes
  environment_mode: "${APP_ENVIRONMENT:-development}"
  user_pw_file_path: "${DATABASE_PASSWORD_FILE_PATH:-/run/secrets/poolbench_test_absent_pw}"
  user_pw_env_var: "${DATABASE_PASSWORD_ENV_VAR:-POSTGRES_APP_USER_PW}"
)";

TEST(AppConfig, ReadsTheSeedConfigWithItsDefaults) {
  const AppConfig config = parse_app_config(k_seed_config, "config.yaml", env_of({}));
  ASSERT_TRUE(config.target);
  EXPECT_EQ(config.target->get("host"), "postgres");
  EXPECT_EQ(config.target->get("dbname"), "app_db");
  EXPECT_EQ(config.target->get("password"), "password");
  EXPECT_EQ(config.target->masked(), "postgresql+asyncpg://user:****@postgres:5432/app_db");
  EXPECT_EQ(config.pool.pool_size.value, 20);
  EXPECT_EQ(config.pool.pool_size.source, "config.yaml: database.pool_size");
  EXPECT_EQ(config.pool.max_overflow.value, 10);
  EXPECT_EQ(config.pool.pool_timeout.value, 30s);
  EXPECT_EQ(config.pool.pool_recycle.value, 1800s);
  EXPECT_FALSE(config.pool.pool_pre_ping.value);
  EXPECT_EQ(config.password_source, "");
}

TEST(AppConfig, DatabaseUrlVariableReplacesTheDefault) {
  const AppConfig config = parse_app_config(
      k_seed_config, "config.yaml",
      env_of({{"DATABASE_URL", "postgresql://appuser:devpass@localhost:5433/appdb?pool_size=7"}}));
  EXPECT_EQ(config.target->get("port"), "5433");
  EXPECT_EQ(config.pool.pool_size.value, 7);
  EXPECT_THAT(config.pool.pool_size.source, HasSubstr("config.yaml: database.url"));
}

TEST(AppConfig, PoolVariablesOverrideTheFile) {
  const AppConfig config = parse_app_config(k_seed_config, "config.yaml",
                                            env_of({{"DATABASE_POOL_SIZE", "50"},
                                                    {"DATABASE_MAX_OVERFLOW", "20"},
                                                    {"DATABASE_POOL_TIMEOUT", "5"},
                                                    {"DATABASE_POOL_RECYCLE", "3600"}}));
  EXPECT_EQ(config.pool.pool_size.value, 50);
  EXPECT_EQ(config.pool.pool_size.source, "DATABASE_POOL_SIZE");
  EXPECT_EQ(config.pool.max_overflow.value, 20);
  EXPECT_EQ(config.pool.max_overflow.source, "DATABASE_MAX_OVERFLOW");
  EXPECT_EQ(config.pool.pool_timeout.value, 5s);
  EXPECT_EQ(config.pool.pool_recycle.value, 3600s);
}

TEST(AppConfig, BadPoolVariableIsNamed) {
  EXPECT_THAT(config_error(k_seed_config, env_of({{"DATABASE_POOL_SIZE", "lots"}})),
              HasSubstr("DATABASE_POOL_SIZE"));
}

TEST(AppConfig, ValuesMayBeExpandedToo) {
  const AppConfig config = parse_app_config(
      "database:\n  pool_size: ${SIZE:-3}\n  pool_timeout: 250ms\n  pool_pre_ping: True\n",
      "config.yaml", env_of({}));
  EXPECT_EQ(config.pool.pool_size.value, 3);
  EXPECT_EQ(config.pool.pool_timeout.value, 250ms);
  EXPECT_EQ(config.pool.pool_pre_ping.value, true);
  EXPECT_FALSE(config.target);
}

TEST(AppConfig, ErrorsNameTheFileTheKeyAndTheLine) {
  std::string message = config_error("database:\n  url: \"sqlite:///./database.db\"\n", env_of({}));
  EXPECT_THAT(message, HasSubstr("config.yaml: database.url"));
  EXPECT_THAT(message, HasSubstr("line 2"));
  EXPECT_THAT(message, HasSubstr("poolbench measures PostgreSQL"));

  message = config_error("database:\n  url: postgresql://h/db\n  pool_size: -3\n", env_of({}));
  EXPECT_THAT(message, HasSubstr("config.yaml: database.pool_size"));
  EXPECT_THAT(message, HasSubstr("line 3"));

  message = config_error("database:\n  url: \"${DATABASE_URL}\"\n", env_of({}));
  EXPECT_THAT(message, HasSubstr("config.yaml: database.url"));
  EXPECT_THAT(message, HasSubstr("DATABASE_URL"));

  message = config_error("database:\n  pool_sise: 3\n", env_of({}));
  EXPECT_THAT(message, HasSubstr("database.pool_sise"));
  EXPECT_THAT(message, HasSubstr("did you mean pool_size"));

  message = config_error("database:\n  url: [a, b]\n", env_of({}));
  EXPECT_THAT(message, HasSubstr("config.yaml: database.url"));
}

TEST(AppConfig, MalformedYamlNamesFileAndLine) {
  const std::string message = config_error("database:\n  pool_size: [1, 2\n", env_of({}));
  EXPECT_THAT(message, HasSubstr("config.yaml:"));
  EXPECT_THAT(message, HasSubstr("not valid YAML"));
}

TEST(AppConfig, MissingDatabaseSectionIsAnError) {
  EXPECT_THAT(config_error("other: 1\n", env_of({})), HasSubstr("database"));
  EXPECT_THAT(config_error("", env_of({})), HasSubstr("database"));
}

TEST(AppConfig, PasswordComesFromTheFileNamedByTheVariable) {
  const TempFile secret("fil3-s3cret\n");
  const AppConfig config = parse_app_config(
      k_seed_config, "config.yaml",
      env_of({{"DATABASE_PASSWORD_FILE_PATH", secret.path()}, {"POSTGRES_APP_USER_PW", "env-pw"}}));
  EXPECT_EQ(config.target->get("password"), "fil3-s3cret");
  EXPECT_THAT(config.password_source, HasSubstr("user_pw_file_path"));
  EXPECT_THAT(config.password_source, Not(HasSubstr("fil3-s3cret")));
  EXPECT_THAT(config.target->masked(), Not(HasSubstr("fil3-s3cret")));
}

TEST(AppConfig, NamedButMissingPasswordFileIsAnError) {
  const std::string message = config_error(
      k_seed_config, env_of({{"DATABASE_PASSWORD_FILE_PATH", "/nonexistent/poolbench/pw"}}));
  EXPECT_THAT(message, HasSubstr("config.yaml: database.user_pw_file_path"));
  EXPECT_THAT(message, HasSubstr("/nonexistent/poolbench/pw"));
}

TEST(AppConfig, PasswordComesFromTheNamedVariableWhenNoFileExists) {
  AppConfig config = parse_app_config(k_seed_config, "config.yaml",
                                      env_of({{"POSTGRES_APP_USER_PW", "env-s3cret"}}));
  EXPECT_EQ(config.target->get("password"), "env-s3cret");
  EXPECT_THAT(config.password_source, HasSubstr("POSTGRES_APP_USER_PW"));
  config = parse_app_config(k_seed_config, "config.yaml",
                            env_of({{"DATABASE_PASSWORD_ENV_VAR", "MY_PW"}, {"MY_PW", "other"}}));
  EXPECT_EQ(config.target->get("password"), "other");
}

TEST(AppConfig, UrlPasswordStaysWhenNoOtherSourceHasOne) {
  const AppConfig config =
      parse_app_config(k_seed_config, "config.yaml", env_of({{"POSTGRES_APP_USER_PW", ""}}));
  EXPECT_EQ(config.target->get("password"), "password");
}

TEST(AppConfig, ErrorsNeverEchoThePassword) {
  const std::string message =
      config_error("database:\n  url: \"postgresql://u:${PW}@h/db?pool_size=x\"\n",
                   env_of({{"PW", "v3ry-s3cret"}}));
  EXPECT_THAT(message, Not(HasSubstr("v3ry-s3cret")));
  EXPECT_THAT(message, HasSubstr("pool_size"));
}

TEST(AppConfig, UnreadableFileIsAnInputError) {
  try {
    load_app_config("/nonexistent/poolbench/config.yaml", env_of({}));
    FAIL() << "no error";
  } catch (const InputError& error) {
    EXPECT_THAT(error.what(), HasSubstr("/nonexistent/poolbench/config.yaml"));
  }
}

TEST(AppConfig, LoadsAFileFromDisk) {
  const TempFile file("database:\n  url: postgresql://u@h/db\n  pool_size: 4\n");
  const AppConfig config = load_app_config(file.path(), env_of({}));
  EXPECT_EQ(config.pool.pool_size.value, 4);
  EXPECT_THAT(config.pool.pool_size.source, HasSubstr(file.path()));
}

}  // namespace
}  // namespace poolbench::pg
