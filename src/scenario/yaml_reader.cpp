#include <algorithm>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "scenario/loader_internal.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace poolbench::scenario {

YamlReader::YamlReader(const std::string& text, std::string file) : m_file(std::move(file)) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) m_lines.push_back(line);
}

SourceRef YamlReader::at(const YAML::Node& node) const {
  const YAML::Mark mark = node.Mark();
  return {m_file, mark.line + 1, mark.column + 1};
}

void YamlReader::fail(const YAML::Node& node, const std::string& key,
                      const std::string& what) const {
  throw InputError(fmt::format("{}: {}: {}", at(node).to_string(), key, what));
}

std::string YamlReader::scalar(const YAML::Node& node, const std::string& key) const {
  if (node.IsScalar()) {
    // The text was UTF-8; what yaml-cpp made of it must be too (it goes into results.json).
    if (util::first_invalid_utf8(node.Scalar())) fail(node, key, "the value is not UTF-8 text");
    return node.Scalar();
  }
  const char* got = node.IsSequence() ? "a list" : node.IsMap() ? "a mapping" : "no value";
  fail(node, key, fmt::format("expected a single value, got {}", got));
}

std::vector<YamlReader::Entry> YamlReader::entries(const YAML::Node& map,
                                                   const std::string& where) const {
  std::vector<Entry> out;
  std::set<std::string> seen;
  for (const auto& item : map) {
    const std::string key = scalar(item.first, where.empty() ? "key" : where);
    if (!seen.insert(key).second) {
      fail(item.first, where.empty() ? key : where + "." + key, "duplicate key");
    }
    out.push_back({key, item.first, item.second});
  }
  return out;
}

int YamlReader::first_text_line(const YAML::Node& node) const {
  const int line = node.Mark().line;  // 0-based
  if (line >= 0 && static_cast<std::size_t>(line) < m_lines.size()) {
    const std::string& text = m_lines[static_cast<std::size_t>(line)];
    const std::size_t column = static_cast<std::size_t>(std::max(0, node.Mark().column));
    if (column < text.size() && (text[column] == '|' || text[column] == '>')) return line + 2;
  }
  return line + 1;
}

}  // namespace poolbench::scenario
