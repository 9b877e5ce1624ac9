// `poolbench server`: an embedded PostgreSQL in the foreground until SIGINT/SIGTERM.

#include <chrono>
#include <ostream>
#include <thread>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "cli/command.hpp"
#include "cli/options.hpp"
#include "cluster/cluster.hpp"
#include "cluster/scenarios_dir.hpp"
#include "cluster/signals.hpp"
#include "util/error.hpp"

namespace po = boost::program_options;

namespace poolbench::cli {
namespace {

/// How often the foreground loop checks for Ctrl-C and a server that exited.
constexpr std::chrono::milliseconds k_watch_interval{100};

constexpr const char* k_server_help =
    R"(Usage: poolbench server [--profile NAME[+NAME...]] [--port N] [--auth scram|trust] [--ssl]

Runs an embedded PostgreSQL in the foreground, on 127.0.0.1 only, until Ctrl-C (SIGINT) or
SIGTERM; then stops it and removes its data. It prints a DSN that works without showing a
secret: the generated password sits in a mode-0600 file named by libpq's passfile
parameter, so other poolbench processes, psql and pgbench can use it as is. The server
always preloads pg_stat_statements.

Options:
  --profile NAME  postgresql.conf profile(s) to apply and verify (see 'poolbench profiles list')
  --port N        TCP port (default: a free one)
  --auth MODE     scram (default: password authentication, real connect costs) or trust
  --ssl           TLS with a self-signed certificate; the DSN then says sslmode=require
  -h, --help      this text

Examples:
  poolbench server
  poolbench server --profile ssd+wal-write-heavy --port 5433
  POOLBENCH_DSN='<printed DSN>' poolbench profiles check ssd
  pgbench -i -s 10 '<printed conninfo>'

Exit codes: 0 stopped by SIGINT/SIGTERM; 2 bad flag or profile; 3 the server could not start
or died.
)";

int run_server(const std::vector<std::string>& args, Io io) {
  po::options_description options("server");
  options.add_options()("help,h", "")("profile", po::value<std::string>(), "")(
      "port", po::value<int>(), "")("auth", po::value<std::string>(), "")("ssl", "");
  const auto values = parse_options("server", options, {}, args);
  if (values.count("help") != 0U) {
    io.out << k_server_help;
    return 0;
  }
  cluster::ClusterOptions cluster_options;
  if (values.count("auth") != 0U) {
    cluster_options.auth = cluster::parse_auth_mode(values["auth"].as<std::string>());
  }
  cluster_options.ssl = values.count("ssl") != 0U;
  if (values.count("port") != 0U) {
    const int port = values["port"].as<int>();
    if (port < 1 || port > 65535) throw InputError("poolbench server: --port must be 1..65535");
    cluster_options.port = port;
  }
  if (values.count("profile") != 0U) {
    cluster_options.profile =
        cluster::load_profile(values["profile"].as<std::string>(), cluster::profiles_dir());
  }
  cluster::InterruptGuard guard;
  try {
    cluster::Cluster server(cluster_options);
    fmt::print(io.out,
               "Embedded PostgreSQL {} running{}\n"
               "  DSN:      {}\n"
               "  conninfo: {}\n"
               "  data:     {}\n"
               "  log:      {}\n"
               "Press Ctrl-C to stop it (its data is removed).\n",
               server.server_version(),
               cluster_options.profile ? " with profile " + cluster_options.profile->name : "",
               server.masked_dsn(), server.conninfo(), server.data_dir().string(),
               server.log_file().string());
    io.out.flush();
    while (!guard.interrupted()) {
      if (!server.running()) throw RuntimeFailure("the embedded server exited unexpectedly");
      std::this_thread::sleep_for(k_watch_interval);
    }
    fmt::print(io.out, "Stopped.\n");
    return 0;
  } catch (const Error&) {
    if (guard.interrupted()) return 0;
    throw;
  }
}

}  // namespace

Command server_command() {
  return {"server", "server [--profile NAME] [--port N] [--auth scram|trust] [--ssl]",
          "run an embedded PostgreSQL in the foreground until Ctrl-C; prints its DSN", run_server};
}

}  // namespace poolbench::cli
