#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "script/expr.hpp"

namespace poolbench::script {

/// Where a script comes from, for load-time error messages
/// (`file:line:column: transaction "name": message`).
struct SourceLocation {
  std::string file;         ///< the scenario (or script) file; may be empty
  std::string transaction;  ///< the transaction's name; may be empty
  int first_line = 1;       ///< line in `file` of the script's first line
  int column_offset = 0;    ///< added to columns (e.g. the indentation of a YAML block scalar)
};

/// `\set variable expression`: evaluate and store in `slot`.
struct SetCommand {
  std::uint32_t slot = 0;
  std::string variable;  ///< the variable's name, for messages
  Expression expression;
  int line = 0;  ///< in the script (1-based)
};

/// `\sleep N [us|ms|s]`: the client waits, keeping any connection it holds. The duration
/// is `amount * unit_us` microseconds, or the integer value of `slot` times unit_us.
struct SleepCommand {
  std::int64_t amount = 0;
  std::optional<std::uint32_t> slot;
  std::string variable;              ///< name of `slot`'s variable, for messages
  std::int64_t unit_us = 1'000'000;  ///< 1, 1000 or 1000000
  int line = 0;
};

/// Where a statement's results go (`\gset [prefix]` or `\aset [prefix]` after it).
enum class Capture : std::uint8_t {
  none,
  gset,  ///< the last result must have exactly one row; its columns become variables
  aset,  ///< every result of a compound statement: the columns of its last row (none if empty)
};

/// One SQL statement, run as a prepared statement (pgbench -M prepared): `:name` references
/// become $1..$n, filled from the variables of `param_slots` (one per reference, in order
/// of appearance; a variable used twice is two parameters, as in pgbench). A compound
/// statement (parts joined by `\;`) cannot be prepared: it is sent as one simple-protocol
/// string, each reference replaced by its variable's text as pgbench -M simple does.
struct SqlCommand {
  std::string prepared_name;  ///< unique per script (prefix + index); PQprepare's stmtName
  std::string text;           ///< with $n placeholders: what is prepared
  std::string source_text;    ///< as written, for display
  std::vector<std::uint32_t> param_slots;
  bool is_begin = false;   ///< BEGIN or START TRANSACTION: opens a transaction block
  bool is_commit = false;  ///< ends the transaction block: COMMIT, END, ROLLBACK, ABORT or
                           ///< PREPARE TRANSACTION (not ROLLBACK TO, ... AND CHAIN, ...
                           ///< PREPARED)
  bool compound = false;   ///< parts joined by `\;`: sent with the simple protocol
  /// The text without its variable references, and where each parameter's text goes in it
  /// (ascending; one per param_slots entry): what the simple protocol sends, the values put
  /// in their places.
  std::string simple_text;
  std::vector<std::size_t> param_offsets;
  Capture capture = Capture::none;
  std::string capture_prefix;  ///< prefixed to each column name to name its variable
  int line = 0;
};

/// `\if expr` or `\elif expr` (reached after the branches before it were false): when the
/// condition is false (pgbench's truth: NULL, false, 0 and 0.0 are false) the script goes
/// on at command `false_target`, else at the next command.
struct IfCommand {
  Expression condition;
  std::size_t false_target = 0;
  std::string keyword;  ///< "if" or "elif", for messages
  int line = 0;
};

/// The end of a branch that ran (at its `\elif` or `\else`): go on at command `target`,
/// after the `\endif`.
struct JumpCommand {
  std::size_t target = 0;
  int line = 0;
};

using Command = std::variant<SetCommand, SleepCommand, SqlCommand, IfCommand, JumpCommand>;

/// A parsed script: one transaction of a scenario. Immutable after parsing; shared
/// read-only by every client (thread-safe).
class Script {
 public:
  Script(SourceLocation location, std::vector<Command> commands,
         std::vector<std::string> variable_names)
      : m_location(std::move(location)),
        m_commands(std::move(commands)),
        m_variable_names(std::move(variable_names)) {}

  const SourceLocation& location() const noexcept { return m_location; }
  const std::vector<Command>& commands() const noexcept { return m_commands; }
  /// Number of variable slots a ClientState needs to run this script (>= the predefined).
  std::size_t slot_count() const noexcept { return m_variable_names.size(); }
  /// Name of each slot; the predefined variables come first (k_slot_scale, ...).
  const std::vector<std::string>& variable_names() const noexcept { return m_variable_names; }
  std::optional<std::uint32_t> slot_of(std::string_view name) const;

 private:
  SourceLocation m_location;
  std::vector<Command> m_commands;
  std::vector<std::string> m_variable_names;
};

struct ScriptOptions {
  /// Prefix of the prepared statements' names (`<prefix>_<n>`). Empty: "pb" followed by a
  /// hash of the transaction name and script text, so different scripts sharing one
  /// connection do not collide. Keep it short: names beyond 63 bytes are truncated.
  std::string statement_prefix;
};

/// The first words of an SQL text (at most `limit`), lower-cased, skipping blanks and `--`
/// and `/* */` comments; stops at punctuation. How statements are classified (BEGIN,
/// COMMIT, ...).
std::vector<std::string> leading_words(std::string_view text, std::size_t limit);

/// A statement taken as it is (a replayed trace's, docs/capture.md): `text` is prepared
/// unchanged (its `$n` are the recorded parameters' places), no variables; is_begin and
/// is_commit classified as a script's would be.
SqlCommand literal_sql_command(std::string text, std::string prepared_name);

/// Parses a pgbench script: `\set`, `\sleep`, `\if`/`\elif`/`\else`/`\endif`, `\gset`,
/// `\aset` and SQL statements (see scan_script()). Unlike pgbench, a variable used before it
/// is `\set` (and not predefined) is an error here, at load time, unless a `\gset` or
/// `\aset` comes before its use (their variables are named by the results' columns, known
/// only at run time). `\shell` and `\setshell` are refused. Throws poolbench::InputError naming the
/// file, transaction, line and column, with the offending line and a caret.
Script parse_script(std::string_view text, const SourceLocation& location,
                    const ScriptOptions& options = {});

}  // namespace poolbench::script
