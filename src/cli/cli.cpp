#include "cli/cli.hpp"

#include <algorithm>
#include <iostream>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "util/error.hpp"
#include "util/strings.hpp"
#include "version.hpp"

namespace poolbench::cli {
namespace {

void print_help(std::ostream& out) {
  out << "poolbench " << k_version << " - load tests PostgreSQL through a SQLAlchemy-style\n"
      << "QueuePool and measures what pool_size, max_overflow, pool_timeout, pool_recycle,\n"
      << "pool_pre_ping and postgresql.conf profiles do to latency, waits and timeouts.\n\n"
      << "Usage: poolbench [--help | --version] COMMAND [ARGS...]\n\n"
      << "Commands:\n";
  std::size_t width = 0;
  for (const auto& command : commands()) width = std::max(width, command.name.size());
  for (const auto& command : commands()) {
    out << fmt::format("  {:<{}}  {}\n", command.name, width, command.summary);
  }
  out << "\nRun 'poolbench COMMAND --help' for a command's flags and examples.\n\n"
      << "Target server: --dsn URL or POOLBENCH_DSN (libpq URLs and key=value strings; the\n"
      << "SQLAlchemy forms postgresql+asyncpg:// and ?pool_size=... are accepted). With\n"
      << "neither, poolbench starts an embedded PostgreSQL from the server binaries on this\n"
      << "machine, on 127.0.0.1, and stops it when done.\n\n"
      << "Exit codes: 0 ok; 1 an SLO, threshold, profile check or regression failed;\n"
      << "2 bad input or usage (nothing run, nothing written); 3 runtime failure (server\n"
      << "unreachable, cluster failed to start); 130 interrupted (finished results kept).\n";
}

const Command* find_command(const std::string& name) {
  for (const auto& command : commands()) {
    if (command.name == name) return &command;
  }
  return nullptr;
}

std::string unknown_command_message(const std::string& name) {
  std::vector<std::string> names;
  for (const auto& command : commands()) names.push_back(command.name);
  const std::string best = util::closest_match(name, names);
  const bool looks_like_flag = name.starts_with("-");
  return fmt::format(
      "poolbench: unknown {} '{}'{}\nRun 'poolbench --help' for the list of commands.",
      looks_like_flag ? "option" : "command", name,
      best.empty() ? "" : fmt::format(" (did you mean '{}'?)", best));
}

}  // namespace

std::string version_string() {
  return fmt::format("poolbench {} (git {}, {} build)", k_version, k_git_commit, k_build_type);
}

int run(const std::vector<std::string>& args, Io io) {
  try {
    if (args.empty()) {
      io.err << "poolbench: no command given\nRun 'poolbench --help' for the list of commands.\n";
      return static_cast<int>(ExitCode::bad_input);
    }
    const std::string& first = args.front();
    if (first == "--help" || first == "-h" || first == "help") {
      if (first == "help" && args.size() > 1) {
        if (const Command* command = find_command(args[1])) {
          return command->run({"--help"}, io);
        }
        throw InputError(unknown_command_message(args[1]));
      }
      print_help(io.out);
      return 0;
    }
    if (first == "--version" || first == "-V") {
      io.out << version_string() << "\n";
      return 0;
    }
    const Command* command = find_command(first);
    if (command == nullptr) throw InputError(unknown_command_message(first));
    return command->run(std::vector<std::string>(args.begin() + 1, args.end()), io);
  } catch (const Error& e) {
    io.err << e.what() << "\n";
    return static_cast<int>(e.exit_code());
  } catch (const std::exception& e) {
    io.err << "poolbench: internal error: " << e.what() << "\n";
    return static_cast<int>(ExitCode::runtime_failure);
  }
}

int run(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return run(args, Io{std::cout, std::cerr});
}

}  // namespace poolbench::cli
