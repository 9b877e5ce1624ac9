// `poolbench scripts list | show NAME`: pgbench's built-in scripts, as a scenario names them
// (`script: builtin:NAME`).

#include <ostream>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "cli/command.hpp"
#include "cli/options.hpp"
#include "script/script_builtin.hpp"
#include "util/error.hpp"

namespace po = boost::program_options;

namespace poolbench::cli {
namespace {

constexpr const char* k_scripts_help = R"(Usage: poolbench scripts list
       poolbench scripts show NAME

pgbench's built-in scripts (pgbench -b NAME), which a scenario runs by name:
  transactions:
    - name: tpcb
      script: builtin:tpcb-like       # or builtin:tpcb-like@3 for weight 3 (pgbench -b NAME@W)

  list    each built-in script with its one-line description
  show    the script's text (the same SQL as pgbench's built-in)

NAME is tpcb-like, simple-update or select-only, or (as pgbench -b) a prefix of exactly
one of them. The scripts use pgbench's tables: 'poolbench run' creates them (dataset.scale).

Options:
  -h, --help  this text

Examples:
  poolbench scripts list
  poolbench scripts show tpcb-like

Exit codes: 0 printed; 2 unknown NAME or bad usage.
)";

int run_scripts(const std::vector<std::string>& args, Io io) {
  po::options_description options("scripts");
  options.add_options()("help,h", "")("action", po::value<std::string>(), "")(
      "name", po::value<std::string>(), "");
  po::positional_options_description positional;
  positional.add("action", 1).add("name", 1);
  const auto values = parse_options("scripts", options, positional, args);
  if (values.count("help") != 0U) {
    io.out << k_scripts_help;
    return 0;
  }
  const std::string action =
      values.count("action") != 0U ? values["action"].as<std::string>() : std::string();
  const bool has_name = values.count("name") != 0U;
  if (action == "list") {
    if (has_name) throw InputError("poolbench scripts list: takes no NAME");
    for (const auto& builtin : script::builtin_scripts()) {
      fmt::print(io.out, "{:<14} {}\n", builtin.name, builtin.description);
    }
    return 0;
  }
  if (action != "show") {
    throw InputError(fmt::format(
        "poolbench scripts: {} (expected list or show NAME)\n"
        "Run 'poolbench scripts --help'.",
        action.empty() ? "missing action" : fmt::format("unknown action '{}'", action)));
  }
  if (!has_name) {
    throw InputError("poolbench scripts show: missing NAME\nRun 'poolbench scripts list'.");
  }
  const std::string name = values["name"].as<std::string>();
  const auto text = script::builtin_script_text(std::string(script::k_builtin_prefix) + name,
                                                "poolbench scripts show");
  io.out << *text;
  return 0;
}

}  // namespace

Command scripts_command() {
  return {"scripts", "scripts list|show NAME",
          "list and print pgbench's built-in scripts (script: builtin:NAME)", run_scripts};
}

}  // namespace poolbench::cli
