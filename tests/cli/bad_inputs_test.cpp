// The bad-input corpus (tests/cli/bad_inputs/cases.yaml, its format described at its top): every
// case runs the built binary in a fresh directory and must exit 2 with one short message that
// names where the input is wrong, print nothing on stdout, and leave no file behind (no --out
// directory, no results.json, no default reports/ directory). One ctest test per case.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "cli/run_binary.hpp"
#include "cli/run_fixture.hpp"

using poolbench::testing::run_process;
namespace fs = std::filesystem;

namespace {

using poolbench::testing::k_binary;
using poolbench::testing::k_source;
const std::string k_manifest = k_source + "/tests/cli/bad_inputs/cases.yaml";

/// One message is a few lines: the place and what is wrong, maybe the offending line with a
/// caret and a hint. More than this is a help dump or a run that started.
constexpr std::size_t k_max_message_lines = 5;

/// Text that only a help dump, a crash or a started run prints.
const std::vector<std::string> k_never_on_stderr = {
    "Usage:",           "Options:", "internal error", "terminate called",
    "Sanitizer",        "Aborted",  "Segmentation",   "Pool settings (where",
    "Starting an embe", "Running ", "progress:",      "std::"};

struct InputFile {
  std::string name;  ///< relative to the case directory
  std::string text;
  std::string copy_of;               ///< relative to the source tree; `text` unused
  std::optional<std::size_t> bytes;  ///< with copy_of: only the first bytes (a truncated file)
  bool raw = false;                  ///< `text` is written as is ({dir} not expanded)
};

struct BadInputCase {
  std::string name;
  std::string about;
  std::vector<std::string> args;
  std::map<std::string, std::string> env;  ///< an empty value removes the variable
  std::vector<InputFile> files;
  std::vector<std::string> expect;  ///< substrings stderr must contain
  std::vector<std::string> absent;  ///< substrings no output may contain (e.g. a password)
};

/// gtest prints a parameter with PrintTo (found by ADL); the name is enough.
void PrintTo(const BadInputCase& c, std::ostream* out) {
  *out << c.name;
}

/// `text` (UTF-8, from the manifest) in Latin-1: a file from an editor that did not save
/// UTF-8. Only code points below 256 are expected.
std::string latin1(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c == 0xC2 || c == 0xC3) && i + 1 < text.size()) {
      out.push_back(static_cast<char>(((c & 0x03) << 6) | (text[++i] & 0x3F)));
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

std::vector<std::string> strings(const YAML::Node& node, const std::string& where) {
  std::vector<std::string> out;
  if (!node) return out;
  if (!node.IsSequence()) throw std::runtime_error(where + ": expected a list");
  for (const auto& item : node) out.push_back(item.as<std::string>());
  return out;
}

std::vector<BadInputCase> load_cases() {
  const YAML::Node root = YAML::LoadFile(k_manifest);
  std::vector<BadInputCase> cases;
  std::set<std::string> names;
  for (const auto& node : root["cases"]) {
    BadInputCase c;
    c.name = node["name"].as<std::string>();
    const std::string where = k_manifest + ": " + c.name;
    if (c.name.empty() ||
        c.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos) {
      throw std::runtime_error(where + ": a name is [a-z0-9_]+ (it is the test's name)");
    }
    if (!names.insert(c.name).second) throw std::runtime_error(where + ": duplicate name");
    c.about = node["about"].as<std::string>("");
    c.args = strings(node["args"], where + ".args");
    c.expect = strings(node["expect"], where + ".expect");
    c.absent = strings(node["absent"], where + ".absent");
    if (c.args.empty() || c.expect.empty()) {
      throw std::runtime_error(where + ": args and expect are required");
    }
    if (const YAML::Node env = node["env"]) {
      for (const auto& item : env)
        c.env[item.first.as<std::string>()] = item.second.as<std::string>("");
    }
    if (const YAML::Node files = node["files"]) {
      for (const auto& item : files) {
        InputFile file;
        file.name = item.first.as<std::string>();
        if (item.second.IsMap() && item.second["latin1"]) {
          file.text = latin1(item.second["latin1"].as<std::string>());
          file.raw = true;
        } else if (item.second.IsMap()) {
          file.copy_of = item.second["copy"].as<std::string>();
          if (item.second["bytes"]) file.bytes = item.second["bytes"].as<std::size_t>();
        } else {
          file.text = item.second.as<std::string>();
        }
        c.files.push_back(std::move(file));
      }
    }
    cases.push_back(std::move(c));
  }
  return cases;
}

/// `{dir}` the case's directory (its input files, the working directory), `{out}` an output
/// directory inside it that must not appear, `{source}` the source tree.
std::string expand(std::string text, const fs::path& dir) {
  const std::map<std::string, std::string> names = {
      {"{dir}", dir.string()}, {"{out}", (dir / "out").string()}, {"{source}", k_source}};
  for (const auto& [name, value] : names) {
    for (std::size_t at = text.find(name); at != std::string::npos;
         at = text.find(name, at + value.size())) {
      text.replace(at, name.size(), value);
    }
  }
  return text;
}

using poolbench::testing::read_file;

std::set<std::string> tree(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    out.insert(fs::relative(entry.path(), dir).string());
  }
  return out;
}

class BadInput : public ::testing::TestWithParam<BadInputCase> {
 protected:
  void SetUp() override {
    m_dir = fs::temp_directory_path() / ("poolbench-bad-input-" + GetParam().name);
    fs::remove_all(m_dir);
    fs::create_directories(m_dir);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(m_dir);  // kept for a look when the case failed
  }

  fs::path m_dir;
};

TEST_P(BadInput, ExitsTwoWithOneMessageNamingThePlaceAndWritesNothing) {
  const BadInputCase& c = GetParam();
  for (const auto& file : c.files) {
    const fs::path path = m_dir / file.name;
    fs::create_directories(path.parent_path());
    std::string text = file.text;
    if (!file.copy_of.empty()) {
      text = read_file(fs::path(k_source) / file.copy_of);
      ASSERT_FALSE(text.empty()) << file.copy_of;
      if (file.bytes) text.resize(std::min(*file.bytes, text.size()));
    } else if (!file.raw) {
      text = expand(text, m_dir);
    }
    std::ofstream(path, std::ios::binary) << text;
  }
  std::vector<std::string> args;
  for (const auto& arg : c.args) args.push_back(expand(arg, m_dir));
  std::map<std::string, std::string> env = {{"POOLBENCH_DSN", ""}};
  for (const auto& [key, value] : c.env) env[key] = expand(value, m_dir);
  const std::set<std::string> before = tree(m_dir);

  const auto result = run_process(k_binary, args, env, m_dir.string());

  SCOPED_TRACE(c.about + "\nstderr:\n" + result.err + "stdout:\n" + result.out);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_FALSE(result.err.empty());
  for (const auto& text : c.expect) {
    EXPECT_NE(result.err.find(text), std::string::npos) << "stderr lacks: " << text;
  }
  std::size_t lines = 0;
  std::istringstream err(result.err);
  for (std::string line; std::getline(err, line);) lines += line.empty() ? 0 : 1;
  EXPECT_LE(lines, k_max_message_lines) << "one message is a few lines";
  for (const auto& text : k_never_on_stderr) {
    EXPECT_EQ(result.err.find(text), std::string::npos) << "stderr has: " << text;
  }
  EXPECT_EQ(result.out, "") << "bad input prints nothing on stdout";
  for (const auto& text : c.absent) {
    EXPECT_EQ(result.err.find(text), std::string::npos) << "stderr shows: " << text;
    EXPECT_EQ(result.out.find(text), std::string::npos) << "stdout shows: " << text;
  }
  // No partial output: the directory holds exactly the inputs (no out/, reports/, results.json).
  const std::set<std::string> after = tree(m_dir);
  for (const auto& path : after) EXPECT_TRUE(before.count(path)) << "left behind: " << path;
}

INSTANTIATE_TEST_SUITE_P(Corpus, BadInput, ::testing::ValuesIn(load_cases()),
                         [](const ::testing::TestParamInfo<BadInputCase>& case_info) {
                           return case_info.param.name;
                         });

TEST(BadInputCorpus, HasAtLeastFiftyCasesCoveringEveryCommand) {
  const auto cases = load_cases();
  EXPECT_GE(cases.size(), 50u);
  std::set<std::string> commands;
  for (const auto& c : cases) commands.insert(c.args.front());
  for (const char* command : {"run", "matrix", "report", "plan", "profiles", "server", "capture"}) {
    EXPECT_TRUE(commands.count(command)) << "no case for poolbench " << command;
  }
}

// The flag cases start from ok.yaml: were it invalid, they would exit 2 for its fault, not
// their own (their expected messages would still differ, but this says why at once).
TEST(BadInputCorpus, TheBaseScenarioOfTheFlagCasesIsValid) {
  const fs::path dir = fs::temp_directory_path() / "poolbench-bad-input-base";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const auto result =
      run_process(k_binary, {"matrix", k_source + "/tests/cli/bad_inputs/ok.yaml", "--dry-run"},
                  {{"POOLBENCH_DSN", ""}}, dir.string());
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("1 cells, in run order"), std::string::npos) << result.out;
  fs::remove_all(dir);
}

}  // namespace
