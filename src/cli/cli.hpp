#pragma once

#include <string>
#include <vector>

#include "cli/command.hpp"

namespace poolbench::cli {

/// The whole command line: `poolbench [--help|--version] COMMAND [ARGS...]`.
/// Never throws: every poolbench::Error is printed as one message and mapped to its exit code.
int run(int argc, char** argv);
int run(const std::vector<std::string>& args, Io io);

std::string version_string();

}  // namespace poolbench::cli
