#include "cluster/profile.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "util/error.hpp"
#include "util/strings.hpp"

namespace poolbench::cluster {
namespace {

namespace fs = std::filesystem;

bool is_name_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$';
}

/// Reads one line of postgresql.conf syntax. Returns false for blank/comment lines.
class LineParser {
 public:
  LineParser(std::string_view line, std::string location)
      : m_line(line), m_location(std::move(location)) {}

  bool parse(ProfileSetting& out) {
    skip_space();
    if (at_end_of_content()) return false;
    out.name = util::to_lower(read_name());
    skip_space();
    if (peek() == '=') {
      ++m_pos;
      skip_space();
    }
    if (at_end_of_content()) fail(fmt::format("missing value for parameter \"{}\"", out.name));
    out.value = peek() == '\'' ? read_quoted() : read_unquoted();
    skip_space();
    if (!at_end_of_content()) {
      fail(fmt::format("syntax error near \"{}\" (quote values that contain spaces)",
                       std::string(m_line.substr(m_pos))));
    }
    return true;
  }

 private:
  char peek() const { return m_pos < m_line.size() ? m_line[m_pos] : '\0'; }
  bool at_end_of_content() const { return m_pos >= m_line.size() || m_line[m_pos] == '#'; }
  void skip_space() {
    while (m_pos < m_line.size() && std::isspace(static_cast<unsigned char>(m_line[m_pos]))) {
      ++m_pos;
    }
  }
  [[noreturn]] void fail(const std::string& message) const {
    throw InputError(fmt::format("{}: {}", m_location, message));
  }

  std::string read_name() {
    const std::size_t start = m_pos;
    auto read_part = [&] {
      if (!is_name_start(peek())) {
        fail(fmt::format("syntax error: expected a parameter name, got \"{}\"",
                         std::string(m_line.substr(start))));
      }
      while (is_name_char(peek())) ++m_pos;
    };
    read_part();
    if (peek() == '.') {
      ++m_pos;
      read_part();
    }
    return std::string(m_line.substr(start, m_pos - start));
  }

  std::string read_unquoted() {
    const std::size_t start = m_pos;
    while (m_pos < m_line.size() && m_line[m_pos] != '#' &&
           !std::isspace(static_cast<unsigned char>(m_line[m_pos])) && m_line[m_pos] != '\'') {
      ++m_pos;
    }
    return std::string(m_line.substr(start, m_pos - start));
  }

  std::string read_quoted() {
    ++m_pos;  // opening quote
    std::string value;
    while (m_pos < m_line.size()) {
      const char c = m_line[m_pos++];
      if (c == '\'') {
        if (peek() == '\'') {  // '' is a literal quote
          value += '\'';
          ++m_pos;
          continue;
        }
        return value;
      }
      if (c == '\\' && m_pos < m_line.size()) {
        value += unescape();
        continue;
      }
      value += c;
    }
    fail("unterminated quoted string");
  }

  char unescape() {
    const char c = m_line[m_pos++];
    switch (c) {
      case 'b':
        return '\b';
      case 'f':
        return '\f';
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      default:
        break;
    }
    if (c >= '0' && c <= '7') {
      int code = c - '0';
      for (int digits = 1; digits < 3 && peek() >= '0' && peek() <= '7'; ++digits) {
        code = code * 8 + (m_line[m_pos++] - '0');
      }
      return static_cast<char>(code);
    }
    return c;
  }

  std::string_view m_line;
  std::string m_location;
  std::size_t m_pos = 0;
};

void merge_into(std::vector<ProfileSetting>& settings, ProfileSetting setting) {
  const auto found = std::find_if(settings.begin(), settings.end(),
                                  [&](const auto& s) { return s.name == setting.name; });
  if (found == settings.end()) {
    settings.push_back(std::move(setting));
  } else {
    *found = std::move(setting);
  }
}

std::vector<std::string> shipped_names(const fs::path& profiles_dir) {
  std::vector<std::string> names;
  for (const auto& entry : list_profiles(profiles_dir)) names.push_back(entry.name);
  return names;
}

fs::path resolve_one(const std::string& part, const fs::path& profiles_dir) {
  if (part.find('/') != std::string::npos || part.ends_with(".conf")) return part;
  const fs::path file = profiles_dir / (part + ".conf");
  std::error_code error;
  if (fs::is_regular_file(file, error)) return file;
  const auto names = shipped_names(profiles_dir);
  const std::string best = util::closest_match(part, names);
  std::string list;
  for (const auto& name : names) list += (list.empty() ? "" : ", ") + name;
  throw ProfileNameError(fmt::format(
      "unknown profile '{}'{}\nshipped profiles ({}): {}\nor give a path to a .conf file "
      "(e.g. ./my-postgresql.conf)",
      part, best.empty() ? "" : fmt::format(" (did you mean '{}'?)", best), profiles_dir.string(),
      list.empty() ? "none found" : list));
}

}  // namespace

const ProfileSetting* Profile::find(std::string_view setting_name) const {
  const std::string key = util::to_lower(setting_name);
  for (const auto& setting : settings) {
    if (setting.name == key) return &setting;
  }
  return nullptr;
}

std::vector<ProfileSetting> parse_conf(std::string_view text, const std::string& file_label) {
  // The settings go into results.json (server_settings), which is UTF-8.
  if (const auto bad = util::first_invalid_utf8(text)) {
    throw InputError(fmt::format("{}:{}: not UTF-8 text (byte 0x{:02X}); save the file as UTF-8",
                                 file_label, util::line_and_column(text, *bad).first,
                                 static_cast<unsigned char>(text[*bad])));
  }
  std::vector<ProfileSetting> settings;
  int line_number = 0;
  while (!text.empty() || line_number == 0) {
    const auto newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ProfileSetting setting;
    LineParser parser(line, fmt::format("{}:{}", file_label, line_number));
    if (!parser.parse(setting)) {
      if (text.empty()) break;
      continue;
    }
    if (setting.name == "include" || setting.name == "include_if_exists" ||
        setting.name == "include_dir") {
      throw InputError(
          fmt::format("{}:{}: '{}' is not supported in a profile: a profile is one self-contained "
                      "postgresql.conf excerpt (compose profiles with NAME+NAME instead)",
                      file_label, line_number, setting.name));
    }
    setting.file = file_label;
    setting.line = line_number;
    merge_into(settings, std::move(setting));
    if (text.empty()) break;
  }
  return settings;
}

std::vector<ProfileSetting> parse_conf_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::error_code error;
  if (!in || fs::is_directory(file, error)) {
    throw InputError(
        fmt::format("{}: cannot read the profile file ({})", file.string(),
                    fs::exists(file, error) ? "permission denied or not a file" : "no such file"));
  }
  std::stringstream content;
  content << in.rdbuf();
  return parse_conf(content.str(), file.string());
}

std::string profile_description(const fs::path& file) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    const auto start = line.find_first_not_of(" \t");
    if (start == std::string::npos) continue;
    if (line[start] != '#') return {};
    const auto text = line.find_first_not_of("# \t", start);
    return text == std::string::npos ? std::string() : line.substr(text);
  }
  return {};
}

std::vector<ProfileEntry> list_profiles(const fs::path& profiles_dir) {
  std::vector<ProfileEntry> entries;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(profiles_dir, error)) {
    if (entry.path().extension() != ".conf") continue;
    entries.push_back(
        {entry.path().stem().string(), profile_description(entry.path()), entry.path()});
  }
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  return entries;
}

Profile load_profile(std::string_view spec, const fs::path& profiles_dir) {
  Profile profile;
  profile.name = std::string(spec);
  if (spec.empty())
    throw ProfileNameError("empty profile name (expected e.g. ssd or ssd+wal-write-heavy)");
  std::vector<std::string> parts;
  std::error_code error;
  if (fs::is_regular_file(fs::path(spec), error) && spec.find('/') != std::string_view::npos) {
    parts.emplace_back(spec);  // a path that happens to contain '+'
  } else {
    std::string_view rest = spec;
    while (true) {
      const auto plus = rest.find('+');
      const std::string part(rest.substr(0, plus));
      if (part.empty()) {
        throw ProfileNameError(
            fmt::format("bad profile '{}': empty name around '+' (expected NAME[+NAME...])", spec));
      }
      parts.push_back(part);
      if (plus == std::string_view::npos) break;
      rest.remove_prefix(plus + 1);
    }
  }
  for (const auto& part : parts) {
    const fs::path file = resolve_one(part, profiles_dir);
    profile.files.push_back(file);
    for (auto& setting : parse_conf_file(file)) merge_into(profile.settings, std::move(setting));
  }
  return profile;
}

void validate_profile(const Profile& profile, const SettingsCatalog& catalog) {
  for (const auto& setting : profile.settings) {
    const SettingInfo* info = catalog.find(setting.name);
    if (info == nullptr) {
      const auto names = catalog.names();
      const std::string best = util::closest_match(setting.name, names);
      throw InputError(
          fmt::format("{}: unknown parameter \"{}\"{}", setting.where(), setting.name,
                      best.empty() ? "" : fmt::format(" (did you mean \"{}\"?)", best)));
    }
    if (info->context == "internal") {
      throw InputError(
          fmt::format("{}: parameter \"{}\" cannot be changed (it is fixed when "
                      "the server is built or initialized)",
                      setting.where(), setting.name));
    }
    const ParsedValue parsed = parse_value(*info, setting.value);
    if (!parsed.value) {
      throw InputError(fmt::format("{}: invalid value for parameter \"{}\": {}", setting.where(),
                                   setting.name, parsed.error));
    }
  }
}

bool is_harness_setting(std::string_view name) {
  static constexpr std::array<std::string_view, 10> k_harness = {"listen_addresses",
                                                                 "port",
                                                                 "unix_socket_directories",
                                                                 "unix_socket_group",
                                                                 "unix_socket_permissions",
                                                                 "data_directory",
                                                                 "config_file",
                                                                 "hba_file",
                                                                 "ident_file",
                                                                 "external_pid_file"};
  const std::string key = util::to_lower(name);
  return std::find(k_harness.begin(), k_harness.end(), key) != k_harness.end();
}

}  // namespace poolbench::cluster
