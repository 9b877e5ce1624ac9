#include <array>

#include "cli/command.hpp"

namespace poolbench::cli {

std::span<const Command> commands() {
  // One entry per implemented subcommand (each in its own cmd_*.cpp), in --help order.
  static const std::vector<Command> k_commands = {};
  return k_commands;
}

}  // namespace poolbench::cli
