#pragma once

#include <functional>
#include <iosfwd>
#include <span>
#include <string>
#include <vector>

namespace poolbench::cli {

/// Where a subcommand writes. Tests pass string streams; the binary passes std::cout/cerr.
struct Io {
  std::ostream& out;
  std::ostream& err;
};

/// One subcommand. `run` receives the arguments after the command name and returns the
/// exit code; it reports bad input by throwing poolbench::InputError (exit 2).
struct Command {
  std::string name;
  std::string usage;    ///< one line: "run SCENARIO [--dsn URL] ..."
  std::string summary;  ///< one sentence for `poolbench --help`
  std::function<int(const std::vector<std::string>& args, Io io)> run;
};

/// Every subcommand, in the order `--help` lists them (defined in commands.cpp).
std::span<const Command> commands();

}  // namespace poolbench::cli
