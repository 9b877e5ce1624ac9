#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/settings.hpp"
#include "util/error.hpp"

// postgresql.conf profiles: parsing (postgresql.conf syntax), composition
// (`ssd+wal-write-heavy`, later names win), lookup of shipped names, validation against a
// server's pg_settings. Errors are InputError naming file:line.

namespace poolbench::cluster {

/// One `name = value` line. `value` is unquoted (escapes resolved), as PostgreSQL reads it.
struct ProfileSetting {
  std::string name;   ///< lower case, as PostgreSQL folds it
  std::string value;  ///< raw text, e.g. "512MB", "HIGH:!aNULL:!MD5"
  std::string file;   ///< where it came from, for messages
  int line = 0;

  std::string where() const { return file + ":" + std::to_string(line); }
};

struct Profile {
  std::string name;                          ///< as asked for: "ssd+wal-write-heavy"
  std::vector<std::filesystem::path> files;  ///< in composition order
  /// Unique names, in first-appearance order; a later file's value (and location) wins.
  std::vector<ProfileSetting> settings;

  const ProfileSetting* find(std::string_view setting_name) const;
};

/// A shipped profile: its name, the first comment line of its file and the file.
struct ProfileEntry {
  std::string name;
  std::string description;
  std::filesystem::path file;
};

/// Parses postgresql.conf text: `name = value` or `name value`, `#` comments, single-quoted
/// values with '' and backslash escapes, units. A later duplicate replaces an earlier one.
/// `include*` directives are rejected (a profile is one self-contained excerpt). Syntax
/// errors throw InputError "<file_label>:<line>: ...".
std::vector<ProfileSetting> parse_conf(std::string_view text, const std::string& file_label);

/// Reads and parses one .conf file; an unreadable file is an InputError naming it.
std::vector<ProfileSetting> parse_conf_file(const std::filesystem::path& file);

/// First comment line of a profile file ("# SSD planner costs ..." -> "SSD planner costs
/// ..."), empty when there is none.
std::string profile_description(const std::filesystem::path& file);

/// Shipped profiles in `profiles_dir` (*.conf), sorted by name.
std::vector<ProfileEntry> list_profiles(const std::filesystem::path& profiles_dir);

/// A profile spec that names no profile (empty, an empty name around '+', an unknown
/// shipped name). Its message does not say where the spec was given: callers that know
/// (--profile, a scenario's line, a --matrix axis) say it.
class ProfileNameError : public InputError {
 public:
  using InputError::InputError;
};

/// Resolves `spec` ("ssd", "ssd+wal-write-heavy", "./mine.conf", "ssd+/abs/x.conf") and
/// composes the files in order, later names winning. A name containing '/' or ending in
/// ".conf" is a path; any other is scenarios/profiles/<name>.conf under `profiles_dir`.
/// Unknown names are ProfileNameErrors listing the shipped names; unreadable or malformed
/// files are InputErrors naming file[:line].
Profile load_profile(std::string_view spec, const std::filesystem::path& profiles_dir);

/// Checks every setting of `profile` against `catalog`: unknown parameter (with a "did you
/// mean"), type, unit, range and enum value. Throws InputError "file:line: ..." at the first
/// bad one. Nothing is changed on any server.
void validate_profile(const Profile& profile, const SettingsCatalog& catalog);

/// Settings the embedded server's harness controls (listen_addresses, port, sockets, file
/// locations); an embedded cluster skips them when applying a profile and says so.
bool is_harness_setting(std::string_view name);

}  // namespace poolbench::cluster
