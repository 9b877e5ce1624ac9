#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace poolbench::script {

/// A position in a script: 1-based line and column (bytes) relative to the script text.
struct ScriptPosition {
  int line = 1;
  int column = 1;
};

/// A load-time error at a position of the script (converted to a poolbench::InputError
/// naming the file and transaction by parse_script()).
class ScriptSyntaxError : public std::runtime_error {
 public:
  ScriptSyntaxError(const std::string& message, ScriptPosition position)
      : std::runtime_error(message), m_position(position) {}
  ScriptPosition position() const noexcept { return m_position; }

 private:
  ScriptPosition m_position;
};

/// A `:name` reference found in an SQL statement outside quotes and comments.
struct ScannedVariable {
  std::size_t offset = 0;  ///< of the colon, in ScannedItem::text
  std::size_t length = 0;  ///< including the colon
  std::string name;
};

/// One SQL statement or one backslash command of a script, in script order.
struct ScannedItem {
  enum class Kind { sql, backslash };
  Kind kind = Kind::sql;
  /// sql: the statement as written, without its `;`, trimmed, comments before it dropped.
  /// backslash: the command after the backslash, to the end of its line; a line ending in
  /// a backslash continues on the next (the backslash becomes a space, the newline stays).
  std::string text;
  ScriptPosition start;                    ///< of text[0] (the backslash for commands)
  std::vector<ScannedVariable> variables;  ///< sql only, in order of appearance
  bool compound = false;  ///< sql only: it holds a `\;` (several statements in one string)

  /// Script position of byte `offset` of text (newlines inside text advance the line).
  ScriptPosition position_of(std::size_t offset) const;
};

/// Splits a pgbench script into SQL statements and backslash commands, as psql's lexer
/// does: statements end at `;` outside quotes, parentheses and comments; '...', E'...',
/// "...", $$...$$ and $tag$...$tag$ are kept whole; `--` and nested `/* */` comments are
/// skipped; `::` casts are not variables. A backslash outside quotes starts a backslash
/// command (ending any statement in progress) that runs to the end of the line, except
/// `\;` (a `;` that does not end the statement: a compound statement) and `\:` (a colon,
/// as psql's lexer emits it). A last statement without `;` is kept. Throws
/// ScriptSyntaxError for an unterminated quote, dollar quote or comment, and for psql's
/// `:'name'` and `:"name"` forms, which pgbench does not interpolate (it sends them as
/// written, a syntax error for the server).
std::vector<ScannedItem> scan_script(std::string_view text);

/// Whether `c` may start / continue a variable name (pgbench: ASCII letters, `_`, any
/// non-ASCII byte; digits after the first character).
bool is_variable_start(char c) noexcept;
bool is_variable_char(char c) noexcept;

}  // namespace poolbench::script
