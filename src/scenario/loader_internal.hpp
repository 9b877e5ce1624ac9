#pragma once

// What the scenario loader's files share (scenario_loader.cpp, fault_loader.cpp): reading a
// YAML document with every error naming file:line:column and the key path. Not for use
// outside src/scenario/.

#include <array>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "scenario/scenario.hpp"

namespace poolbench::scenario {

/// The YAML text of one scenario file and the messages about it.
class YamlReader {
 public:
  YamlReader(const std::string& text, std::string file);

  const std::string& file() const noexcept { return m_file; }
  /// Where `node` stands in the file (1-based line and column).
  SourceRef at(const YAML::Node& node) const;
  /// Throws InputError "<file>:<line>:<column>: <key>: <what>".
  [[noreturn]] void fail(const YAML::Node& node, const std::string& key,
                         const std::string& what) const;
  /// The text of a scalar; a list, a mapping or nothing where a value belongs is an error.
  std::string scalar(const YAML::Node& node, const std::string& key) const;

  struct Entry {
    std::string key;
    YAML::Node key_node;  // for messages about the key itself
    YAML::Node value;
  };
  /// Keys of a mapping in order, rejecting duplicates (yaml-cpp would keep both).
  std::vector<Entry> entries(const YAML::Node& map, const std::string& where) const;
  /// Where the first line of a scalar's text stands: block scalars (| or >) start one line
  /// below their indicator.
  int first_text_line(const YAML::Node& node) const;

 private:
  std::string m_file;
  std::vector<std::string> m_lines;
};

/// The keys of one `faults:` item.
inline constexpr std::array<const char*, 6> k_fault_keys = {"at",    "kind", "duration",
                                                            "delay", "mode", "table"};

/// `faults: [{at, kind, duration, delay, mode, table}, ...]`, validated item by item and
/// sorted by `at`.
std::vector<Fault> load_faults(const YamlReader& yaml, const YAML::Node& list);

}  // namespace poolbench::scenario
