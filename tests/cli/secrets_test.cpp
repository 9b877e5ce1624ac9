// Passwords never appear in any output (docs/cli.md): a real, successful `poolbench run`
// against a SCRAM server, with the password given in each way a user can give it, and the
// password searched for in stdout, stderr and every file the run wrote.

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/background_server.hpp"
#include "cli/run_binary.hpp"
#include "cli/run_fixture.hpp"
#include "pg/session.hpp"
#include "util/gzip.hpp"

namespace {

namespace fs = std::filesystem;
using poolbench::testing::BackgroundServer;
using poolbench::testing::ProcessResult;
using poolbench::testing::run_process;

using poolbench::testing::k_binary;
using poolbench::testing::k_source;
const std::string k_scenario = k_source + "/tests/cli/scenarios/setup_table.yaml";

/// A leak of part of the password counts too: every run of this many characters of it is
/// searched for (the password is 32 random characters, so a 12-character run of it does
/// not occur by chance).
constexpr std::size_t k_window = 12;

/// The first k_window-character piece of `password` found in `text`, or empty.
std::string leaked_piece(const std::string& text, const std::string& password) {
  const std::size_t window = std::min(k_window, password.size());
  for (std::size_t i = 0; i + window <= password.size(); ++i) {
    const std::string piece = password.substr(i, window);
    if (text.find(piece) != std::string::npos) return piece;
  }
  return {};
}

using poolbench::testing::read_file;

/// Polls (bounded, 30 s) until every one of `files` holds a piece of `password` and none of
/// them grew over three polls 100 ms apart.
bool wait_for_logs(const std::vector<fs::path>& files, const std::string& password) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::vector<std::uintmax_t> last(files.size(), 0);
  int stable = 0;
  while (stable < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    bool same = true;
    for (std::size_t i = 0; i < files.size(); ++i) {
      std::error_code ignored;
      const std::uintmax_t size = fs::file_size(files[i], ignored);
      const bool holds = size != static_cast<std::uintmax_t>(-1) &&
                         !leaked_piece(read_file(files[i]), password).empty();
      same = same && holds && size == last[i];
      last[i] = size;
    }
    stable = same ? stable + 1 : 0;
  }
  return stable >= 3;
}

/// How the password reaches poolbench.
enum class Given {
  none,                  ///< no password anywhere: the control, which must fail to connect
  dsn_url,               ///< --dsn postgresql://user:PASSWORD@host:port/db
  dsn_keywords,          ///< --dsn "host=... password=PASSWORD ..." (libpq key=value)
  dsn_passfile,          ///< --dsn ...?passfile=FILE (what `poolbench server` prints)
  pgpassfile_variable,   ///< --dsn without a password, PGPASSFILE=FILE
  pgpassword_variable,   ///< --dsn without a password, PGPASSWORD=PASSWORD
  config_url,            ///< --app-config: database.url with the password in it
  config_url_expanded,   ///< --app-config: database.url: "${VAR:-...}", VAR holds the URL
  config_password_file,  ///< --app-config: database.user_pw_file_path (a Docker secret)
  config_password_env,   ///< --app-config: database.user_pw_env_var names the variable
  dsn_variable,          ///< POOLBENCH_DSN holds the URL with the password
};

/// Runs the tiny setup_table scenario against `server`, in a fresh directory per case.
class SecretRun {
 public:
  SecretRun(const BackgroundServer& server, const std::string& name)
      : m_server(server), m_dir(fs::temp_directory_path() / ("poolbench-secrets-" + name)) {
    fs::remove_all(m_dir);
    fs::create_directories(m_dir);
  }
  ~SecretRun() { fs::remove_all(m_dir); }
  SecretRun(const SecretRun&) = delete;
  SecretRun& operator=(const SecretRun&) = delete;

  fs::path out() const { return m_dir / "out"; }

  ProcessResult run(Given given) const {
    std::vector<std::string> args{"run", k_scenario, "--out", out().string()};
    // Half a second of load is enough to connect, run and write every file.
    args.insert(args.end(), {"--set", "workload.duration=500ms", "--set", "workload.warmup=0s"});
    // Nothing from the test's own environment may supply a password or a target.
    std::map<std::string, std::string> env{{"POOLBENCH_DSN", ""},
                                           {"PGPASSFILE", ""},
                                           {"PGPASSWORD", ""},
                                           {"PGSERVICE", ""},
                                           {"DATABASE_URL", ""},
                                           {"DATABASE_PASSWORD_FILE_PATH", ""},
                                           {"DATABASE_PASSWORD_ENV_VAR", ""},
                                           {"HOME", m_dir.string()}};
    switch (given) {
      case Given::none:
        args.insert(args.end(), {"--dsn", url_without_password() + "?connect_timeout=5"});
        break;
      case Given::dsn_url:
        args.insert(args.end(), {"--dsn", url_with_password()});
        break;
      case Given::dsn_keywords:
        args.insert(args.end(),
                    {"--dsn", "host=127.0.0.1 port=" + std::to_string(m_server.port()) +
                                  " user=" + m_server.user() + " password=" + m_server.password() +
                                  " dbname=" + m_server.database()});
        break;
      case Given::dsn_passfile:
        args.insert(args.end(), {"--dsn", m_server.dsn()});
        break;
      case Given::pgpassfile_variable:
        args.insert(args.end(), {"--dsn", url_without_password()});
        env["PGPASSFILE"] = m_server.passfile().string();
        break;
      case Given::pgpassword_variable:
        args.insert(args.end(), {"--dsn", url_without_password()});
        env["PGPASSWORD"] = m_server.password();
        break;
      case Given::dsn_variable:
        env["POOLBENCH_DSN"] = url_with_password();
        break;
      case Given::config_url:
        args.insert(args.end(),
                    {"--app-config", config("  url: \"" + url_with_password("postgresql+asyncpg") +
                                            "\"\n  pool_size: 2\n")});
        break;
      case Given::config_url_expanded:
        args.insert(args.end(),
                    {"--app-config", config("  url: \"${SECRETS_TEST_DATABASE_URL:-postgresql+"
                                            "asyncpg://user:password@postgres:5432/app_db}\"\n")});
        env["SECRETS_TEST_DATABASE_URL"] = url_with_password("postgresql+asyncpg");
        break;
      case Given::config_password_file: {
        const fs::path secret = write("postgres_app_user_pw", m_server.password() + "\n");
        args.insert(args.end(), {"--app-config",
                                 config("  url: \"" + url_without_password() +
                                        "\"\n  user_pw_file_path: \"" + secret.string() + "\"\n")});
        break;
      }
      case Given::config_password_env:
        args.insert(
            args.end(),
            {"--app-config", config("  url: \"" + url_without_password() +
                                    "\"\n  user_pw_env_var: "
                                    "\"${DATABASE_PASSWORD_ENV_VAR:-POSTGRES_APP_USER_PW}\"\n")});
        env["POSTGRES_APP_USER_PW"] = m_server.password();
        break;
    }
    return run_process(k_binary, args, env, k_source);
  }

 private:
  std::string url_without_password() const {
    return "postgresql://" + m_server.user() + "@127.0.0.1:" + std::to_string(m_server.port()) +
           "/" + m_server.database();
  }
  std::string url_with_password(const std::string& scheme = "postgresql") const {
    return scheme + "://" + m_server.user() + ":" + m_server.password() +
           "@127.0.0.1:" + std::to_string(m_server.port()) + "/" + m_server.database();
  }
  fs::path write(const std::string& name, const std::string& text) const {
    const fs::path path = m_dir / name;
    std::ofstream(path) << text;
    fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
    return path;
  }
  /// A config.yaml with `database_keys` (indented lines) under database:.
  std::string config(const std::string& database_keys) const {
    return write("config.yaml", "database:\n" + database_keys).string();
  }

  const BackgroundServer& m_server;
  fs::path m_dir;
};

/// Every file under `dir`, recursively, with its content.
std::vector<std::pair<fs::path, std::string>> files_under(const fs::path& dir) {
  std::vector<std::pair<fs::path, std::string>> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) files.emplace_back(entry.path(), read_file(entry.path()));
  }
  return files;
}

// One server for every case (a ctest test is one process): cases run one after another.
TEST(RunSecrets, APasswordGivenAnyWayAppearsInNoOutputOfASuccessfulRun) {
  const BackgroundServer server(k_binary);
  const std::string& password = server.password();
  ASSERT_GE(password.size(), 16u);

  {
    // The control: the server really wants the password (SCRAM), so a run that succeeds
    // below had it.
    SCOPED_TRACE("no password given");
    const SecretRun control(server, "none");
    const ProcessResult result = control.run(Given::none);
    EXPECT_EQ(result.exit_code, 3) << result.err;
    EXPECT_NE(result.err.find("password"), std::string::npos) << result.err;
    EXPECT_FALSE(fs::exists(control.out() / "results.json"));
  }

  const std::vector<std::pair<const char*, Given>> cases{
      {"--dsn URL with the password", Given::dsn_url},
      {"--dsn key=value with password=", Given::dsn_keywords},
      {"--dsn with passfile=", Given::dsn_passfile},
      {"PGPASSFILE", Given::pgpassfile_variable},
      {"PGPASSWORD", Given::pgpassword_variable},
      {"POOLBENCH_DSN URL with the password", Given::dsn_variable},
      {"config.yaml database.url with the password", Given::config_url},
      {"config.yaml database.url from ${VAR:-default}", Given::config_url_expanded},
      {"config.yaml database.user_pw_file_path", Given::config_password_file},
      {"config.yaml database.user_pw_env_var", Given::config_password_env}};
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto& [name, given] = cases[i];
    SCOPED_TRACE(name);
    const SecretRun secret_run(server, std::to_string(i));
    const ProcessResult result = secret_run.run(given);
    // The run must really have connected and written its files, or there is nothing to
    // search.
    ASSERT_EQ(result.exit_code, 0) << result.err;
    ASSERT_TRUE(fs::exists(secret_run.out() / "results.json"));
    EXPECT_NE(result.out.find("results:"), std::string::npos) << result.out;
    EXPECT_NE(result.err.find("Pool settings"), std::string::npos) << result.err;

    EXPECT_EQ(leaked_piece(result.out, password), "") << "stdout:\n" << result.out;
    EXPECT_EQ(leaked_piece(result.err, password), "") << "stderr:\n" << result.err;
    const auto files = files_under(secret_run.out());
    EXPECT_FALSE(files.empty());
    for (const auto& [path, content] : files) {
      EXPECT_EQ(leaked_piece(content, password), "") << path;
    }

    const auto json = nlohmann::json::parse(read_file(secret_run.out() / "results.json"));
    const auto& summary = json["cells"][0]["summary"];
    EXPECT_GT(summary["completed"].get<long>(), 0);
    EXPECT_EQ(summary["errors"].get<long>(), 0);
    // The target is still named (with any password masked).
    const std::string dsn = json["dsn"].get<std::string>();
    EXPECT_NE(dsn.find(std::to_string(server.port())), std::string::npos) << dsn;
  }
}

/// Runs poolbench with `args` in `cwd`, with no password from the environment.
ProcessResult poolbench(const std::vector<std::string>& args, const fs::path& home) {
  return run_process(k_binary, args,
                     {{"POOLBENCH_DSN", ""},
                      {"PGPASSFILE", ""},
                      {"PGPASSWORD", ""},
                      {"PGSERVICE", ""},
                      {"HOME", home.string()}},
                     k_source);
}

// The other commands that write: matrix (with faults, including the network_delay proxy,
// which hands the pools the password itself), report, compare (every output), and a
// sharded run of two processes merged. The password is in the --dsn URL, the form most
// likely to leak; stdout, stderr and every file written are searched.
TEST(RunSecrets, MatrixReportCompareShardsAndMergeKeepThePasswordOut) {
  const BackgroundServer server(k_binary);
  const std::string& password = server.password();
  ASSERT_GE(password.size(), 16u);
  const fs::path dir = fs::temp_directory_path() / "poolbench-secrets-commands";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string dsn = "postgresql://" + server.user() + ":" + password +
                          "@127.0.0.1:" + std::to_string(server.port()) + "/" + server.database();
  // setup_table.yaml with a longer workload and faults.
  std::string text = read_file(k_scenario);
  const auto workload = text.find("workload:");
  ASSERT_NE(workload, std::string::npos);
  text.erase(workload, text.find('\n', workload) + 1 - workload);
  const fs::path scenario = dir / "faulty.yaml";
  std::ofstream(scenario) << text
                          << "workload: { mode: closed, clients: 2, duration: 3s, warmup: 200ms }\n"
                             "faults:\n"
                             "  - { at: 500ms, kind: terminate_backends }\n"
                             "  - { at: 1s, kind: network_delay, duration: 500ms, delay: 5ms }\n"
                             "  - { at: 2s, kind: exhaust_connections, duration: 300ms }\n";

  std::vector<std::pair<std::string, ProcessResult>> outputs;
  auto step = [&](const std::string& name, const std::vector<std::string>& args, int expected) {
    SCOPED_TRACE(name);
    ProcessResult result = poolbench(args, dir);
    EXPECT_EQ(result.exit_code, expected) << result.err;
    outputs.emplace_back(name, std::move(result));
  };
  step("matrix",
       {"matrix", scenario.string(), "--dsn", dsn, "--matrix", "pool.pool_size=[1,2]", "--out",
        (dir / "matrix").string(), "--quiet"},
       0);
  ASSERT_TRUE(fs::exists(dir / "matrix" / "results.json"));
  const auto matrix = nlohmann::json::parse(read_file(dir / "matrix" / "results.json"));
  ASSERT_EQ(matrix["cells"].size(), 2u);
  EXPECT_EQ(matrix["cells"][0]["faults"].size(), 3u);  // the faults ran, through the proxy
  EXPECT_GT(matrix["cells"][0]["summary"]["completed"].get<long>(), 0);
  step("report", {"report", (dir / "matrix").string(), "--out", (dir / "report").string()}, 0);
  step("compare",
       {"compare", (dir / "matrix").string(), (dir / "matrix").string(), "--markdown", "--junit",
        (dir / "compare" / "junit.xml").string(), "--benchmark-action",
        (dir / "compare" / "bench").string()},
       0);
  step("compare --json",
       {"compare", (dir / "matrix").string(), (dir / "matrix").string(), "--json"}, 0);
  // Two shards of one run, concurrently, then merged.
  const auto start_at = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count() +
                        3;
  std::vector<ProcessResult> shards(2);
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&, i] {
      shards[static_cast<std::size_t>(i)] = poolbench(
          {"run", k_scenario, "--dsn", dsn, "--shard", std::to_string(i) + "/2", "--start-at",
           std::to_string(start_at), "--out", (dir / ("shard" + std::to_string(i))).string()},
          dir);
    });
  }
  for (auto& thread : threads) thread.join();
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(shards[static_cast<std::size_t>(i)].exit_code, 0)
        << shards[static_cast<std::size_t>(i)].err;
    outputs.emplace_back("shard " + std::to_string(i), shards[static_cast<std::size_t>(i)]);
  }
  step("merge",
       {"merge", (dir / "shard0").string(), (dir / "shard1").string(), "--out",
        (dir / "merged").string()},
       0);
  ASSERT_TRUE(fs::exists(dir / "merged" / "results.json"));

  for (const auto& [name, result] : outputs) {
    EXPECT_EQ(leaked_piece(result.out, password), "") << name << " stdout:\n" << result.out;
    EXPECT_EQ(leaked_piece(result.err, password), "") << name << " stderr:\n" << result.err;
  }
  int searched = 0;
  for (const auto& [path, content] : files_under(dir)) {
    if (path == scenario) continue;
    ++searched;
    EXPECT_EQ(leaked_piece(content, password), "") << path;
  }
  EXPECT_GE(searched, 20);  // results, reports, charts, junit, benchmark-action files
  fs::remove_all(dir);
}

// poolbench capture reads logs that may hold passwords: an ALTER ROLE ... PASSWORD an admin
// ran (logged, as log_min_duration_statement = 0 logs every statement), and the password in
// the --dsn URL. Neither reaches stdout, stderr or any file capture writes, in any mode
// (csvlog and stderr logs, plain and --redact, --redact with --dsn, and the
// pg_stat_statements form).
TEST(RunSecrets, CaptureKeepsPasswordsFromTheLogAndTheDsnOut) {
  const BackgroundServer server(k_binary,
                                {"--profile", k_source + "/tests/cli/capture/logging.conf"});
  const std::string& password = server.password();
  const fs::path home =
      fs::temp_directory_path() / ("poolbench-capture-secrets-" + std::to_string(::getpid()));
  fs::create_directories(home);
  const std::string url = "postgresql://" + server.user() + ":" + password +
                          "@127.0.0.1:" + std::to_string(server.port()) + "/" + server.database();
  {
    // An admin sets the same password again: the log now holds it in an ALTER ROLE.
    auto admin = poolbench::pg::Session::connect(server.conninfo());
    admin.exec("ALTER ROLE " + server.user() + " PASSWORD '" + password + "'");
    const ProcessResult run =
        poolbench({"run", k_scenario, "--dsn", url, "--set", "workload.duration=1s", "--set",
                   "workload.warmup=0s", "--out", (home / "run").string()},
                  home);
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  }
  const fs::path logs = server.passfile().parent_path() / "data" / "log";
  // The logging collector writes asynchronously: wait until both logs hold the ALTER ROLE
  // and have stopped growing (the run's last statements are in).
  const bool written = wait_for_logs({logs / "postgresql.csv", logs / "postgresql.log"}, password);
  const std::string log = read_file(logs / "postgresql.csv");
  ASSERT_TRUE(written) << "the logs did not settle within 30 s";
  ASSERT_NE(leaked_piece(log, password), "") << "the log should hold the password to hide";
  const std::vector<std::vector<std::string>> modes = {
      {"capture", "--log", (logs / "postgresql.csv").string()},
      {"capture", "--log", (logs / "postgresql.log").string()},
      {"capture", "--log", (logs / "postgresql.csv").string(), "--redact"},
      {"capture", "--log", (logs / "postgresql.log").string(), "--redact", "--dsn", url},
      {"capture", "--dsn", url, "--window", "1s"},
  };
  for (std::size_t i = 0; i < modes.size(); ++i) {
    std::vector<std::string> args = modes[i];
    const fs::path out = home / ("capture-" + std::to_string(i));
    args.insert(args.end(), {"--out", out.string()});
    const ProcessResult result = poolbench(args, home);
    SCOPED_TRACE(args[1] + " " + args[2]);
    // The pg_stat_statements form finds nothing in a quiet 1 s window: exit 3, and still
    // no password in what it says.
    EXPECT_TRUE(result.exit_code == 0 || (i == 4 && result.exit_code == 3))
        << result.out << result.err;
    EXPECT_EQ(leaked_piece(result.out + result.err, password), "");
    if (!fs::exists(out)) continue;
    for (const auto& [path, content] : files_under(out)) {
      std::string text = content;
      if (path.extension() == ".gz") {
        poolbench::util::GzLineReader reader(path);
        text.clear();
        for (std::string line; reader.next(line);) text += line + "\n";
      }
      EXPECT_EQ(leaked_piece(text, password), "") << path;
    }
  }
  fs::remove_all(home);
}

}  // namespace
