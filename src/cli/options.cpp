#include "cli/options.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "util/error.hpp"
#include "util/strings.hpp"

namespace po = boost::program_options;

namespace poolbench::cli {
namespace {

std::string hint_for_unknown(const std::string& flag, const po::options_description& options) {
  std::vector<std::string> names;
  for (const auto& option : options.options()) names.push_back("--" + option->long_name());
  std::string name = flag.substr(0, flag.find('='));
  const std::string best = util::closest_match(name, names);
  return best.empty() ? std::string{} : fmt::format(" (did you mean '{}'?)", best);
}

}  // namespace

po::variables_map parse_options(const std::string& command, const po::options_description& options,
                                const po::positional_options_description& positional,
                                const std::vector<std::string>& args) {
  po::variables_map values;
  try {
    po::store(
        po::command_line_parser(args)
            .options(options)
            .positional(positional)
            .style(po::command_line_style::unix_style ^ po::command_line_style::allow_guessing)
            .run(),
        values);
    po::notify(values);
  } catch (const po::unknown_option& e) {
    throw InputError(fmt::format("poolbench {}: unknown option '{}'{}\nRun 'poolbench {} --help'.",
                                 command, e.get_option_name(),
                                 hint_for_unknown(e.get_option_name(), options), command));
  } catch (const po::too_many_positional_options_error&) {
    throw InputError(fmt::format("poolbench {}: too many arguments\nRun 'poolbench {} --help'.",
                                 command, command));
  } catch (const po::error& e) {
    throw InputError(
        fmt::format("poolbench {}: {}\nRun 'poolbench {} --help'.", command, e.what(), command));
  }
  return values;
}

void print_command_help(std::ostream& out, const char* usage,
                        const boost::program_options::options_description& options,
                        const char* tail) {
  fmt::print(out, "Usage: {}\n\n{}\n{}", usage, fmt::streamed(options), tail);
}

}  // namespace poolbench::cli
