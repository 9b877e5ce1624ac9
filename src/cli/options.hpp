#pragma once

#include <ostream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

namespace poolbench::cli {

/// Parses a subcommand's arguments with Boost.Program_options. Any parse error (unknown flag,
/// missing value, bad number) becomes a poolbench::InputError naming the command, the flag
/// and, for a near-miss flag, the flag that was probably meant.
boost::program_options::variables_map parse_options(
    const std::string& command, const boost::program_options::options_description& options,
    const boost::program_options::positional_options_description& positional,
    const std::vector<std::string>& args);

/// A subcommand's --help: "Usage: <usage>", its options, then `tail` (what the flags do not
/// say: defaults, examples, exit codes).
void print_command_help(std::ostream& out, const char* usage,
                        const boost::program_options::options_description& options,
                        const char* tail);

}  // namespace poolbench::cli
