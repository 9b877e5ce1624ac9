#include <array>

#include "cli/command.hpp"

namespace poolbench::cli {

Command run_command_entry();      // cmd_run.cpp
Command matrix_command_entry();   // cmd_matrix.cpp
Command plan_command_entry();     // cmd_plan.cpp
Command report_command_entry();   // cmd_report.cpp
Command compare_command_entry();  // cmd_compare.cpp
Command merge_command_entry();    // cmd_merge.cpp
Command profiles_command();       // cmd_profiles.cpp
Command server_command();         // cmd_server.cpp
Command capture_command_entry();  // cmd_capture.cpp
Command scripts_command();        // cmd_scripts.cpp

std::span<const Command> commands() {
  // One entry per implemented subcommand (each in its own cmd_*.cpp), in --help order.
  static const std::vector<Command> k_commands = {
      run_command_entry(),     matrix_command_entry(), report_command_entry(),
      compare_command_entry(), merge_command_entry(),  plan_command_entry(),
      profiles_command(),      server_command(),       capture_command_entry(),
      scripts_command(),
  };
  return k_commands;
}

}  // namespace poolbench::cli
