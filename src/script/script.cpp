#include "script/script.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>

#include <fmt/format.h>

#include "script/script_builtin.hpp"
#include "script/script_scanner.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace poolbench::script {

std::optional<std::uint32_t> Script::slot_of(std::string_view name) const {
  const auto it = std::find(m_variable_names.begin(), m_variable_names.end(), name);
  if (it == m_variable_names.end()) return std::nullopt;
  return static_cast<std::uint32_t>(it - m_variable_names.begin());
}

namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

void classify(SqlCommand& command) {
  const auto w = leading_words(command.source_text, 3);
  const auto word = [&](std::size_t i) { return i < w.size() ? w[i] : std::string(); };
  const bool chain = word(1) == "and" && word(2) == "chain";
  if (word(0) == "begin" || (word(0) == "start" && word(1) == "transaction")) {
    command.is_begin = true;
  } else if (word(0) == "commit" || word(0) == "end" || word(0) == "rollback" ||
             word(0) == "abort") {
    const bool transaction_word = word(1) == "work" || word(1) == "transaction";
    const std::string after = transaction_word ? word(2) : word(1);
    command.is_commit =
        after != "to" && after != "prepared" && !chain && !(transaction_word && word(2) == "and");
  } else if (word(0) == "prepare" && word(1) == "transaction") {
    command.is_commit = true;
  }
}

std::string default_prefix(const SourceLocation& location, std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a over name, NUL, text
  const auto mix = [&](std::string_view s) {
    for (const char c : s) {
      h ^= static_cast<unsigned char>(c);
      h *= 0x100000001b3ULL;
    }
  };
  mix(location.transaction);
  mix(std::string_view("\0", 1));
  mix(text);
  return fmt::format("pb{:08x}", static_cast<std::uint32_t>(h ^ (h >> 32)));
}

constexpr std::array<std::string_view, 13> k_pgbench_commands = {
    "set",   "sleep", "setshell", "shell",         "if",           "elif",       "else",
    "endif", "gset",  "aset",     "startpipeline", "syncpipeline", "endpipeline"};

class ScriptParser {
 public:
  ScriptParser(std::string_view text, const SourceLocation& location, const ScriptOptions& options)
      : m_text(text), m_location(location) {
    for (const auto name : k_predefined_variables) m_names.emplace_back(name);
    m_prefix = options.statement_prefix.empty() ? default_prefix(location, text)
                                                : options.statement_prefix;
  }

  Script parse() {
    std::vector<ScannedItem> items;
    try {
      items = scan_script(m_text);
    } catch (const ScriptSyntaxError& e) {
      error(e.position(), e.what());
    }
    for (const ScannedItem& item : items) {
      if (item.kind == ScannedItem::Kind::sql) {
        sql(item);
        m_after_sql = true;
      } else {
        backslash(item);
      }
    }
    if (!m_blocks.empty()) {  // pgbench: "\if without matching \endif"
      error(m_blocks.back().at,
            "\\if without matching \\endif (the script ends inside this block)");
    }
    if (m_commands.empty()) {  // pgbench: "empty command list for script"
      error(ScriptPosition{},
            "the script has no commands (expected SQL statements, \\set or \\sleep)");
    }
    return Script(m_location, std::move(m_commands), std::move(m_names));
  }

 private:
  /// How much of the offending line an error shows before and after its column.
  static constexpr std::size_t k_excerpt_before = 60;
  static constexpr std::size_t k_excerpt_after = 40;

  [[noreturn]] void error(ScriptPosition at, std::string_view message) const {
    const int file_line = m_location.first_line + at.line - 1;
    const int file_column = m_location.column_offset + at.column;
    std::string text = fmt::format(
        "{}:{}:{}: ", m_location.file.empty() ? "script" : m_location.file, file_line, file_column);
    if (!m_location.transaction.empty()) {
      text += fmt::format("transaction \"{}\": ", m_location.transaction);
    }
    text += message;
    // The offending script line with a caret under the column.
    std::size_t start = 0;
    for (int line = 1; line < at.line && start != std::string_view::npos; ++line) {
      start = m_text.find('\n', start);
      if (start != std::string_view::npos) ++start;
    }
    if (start != std::string_view::npos && start <= m_text.size()) {
      std::string_view line = m_text.substr(start);
      line = line.substr(0, std::min(line.size(), line.find('\n')));
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      // A long line is cut to the part around the column, with "..." where it was cut.
      const std::size_t column = static_cast<std::size_t>(std::max(at.column - 1, 0));
      // Cuts fall on UTF-8 character boundaries (never before a continuation byte).
      const auto boundary = [&line](std::size_t i) {
        while (i < line.size() && (static_cast<unsigned char>(line[i]) & 0xC0) == 0x80) ++i;
        return std::min(i, line.size());
      };
      const std::size_t from = boundary(column > k_excerpt_before ? column - k_excerpt_before : 0);
      const std::size_t to = boundary(from + k_excerpt_before + k_excerpt_after);
      std::string shown = from > 0 ? "..." : "";
      std::string pad(shown.size(), ' ');
      shown += line.substr(from, to - from);
      if (to < line.size()) shown += "...";
      for (std::size_t i = from; i < column && i < line.size(); ++i) {
        pad += line[i] == '\t' ? '\t' : ' ';
      }
      text += fmt::format("\n    {}\n    {}^", shown, pad);
    }
    throw InputError(text);
  }

  std::optional<std::uint32_t> lookup(std::string_view name) const {
    const auto it = std::find(m_names.begin(), m_names.end(), name);
    if (it == m_names.end()) return std::nullopt;
    return static_cast<std::uint32_t>(it - m_names.begin());
  }

  std::string undefined_variable_message(std::string_view name) const {
    std::string message = fmt::format(
        "variable \":{}\" is used but neither predefined nor \\set earlier in the script", name);
    const std::string suggestion = util::closest_match(name, m_names);
    if (!suggestion.empty()) message += fmt::format(" (did you mean \":{}\"?)", suggestion);
    return message;
  }

  /// The slot of a variable referenced at `name`: known, or (after a `\\gset`/`\\aset`,
  /// whose variables are named by result columns) a new slot that starts unset.
  std::optional<std::uint32_t> resolve(std::string_view name) {
    if (const auto slot = lookup(name)) return slot;
    if (!m_results_stored) return std::nullopt;
    return define(std::string(name));
  }

  std::uint32_t define(const std::string& name) {
    if (const auto slot = lookup(name)) return *slot;
    m_names.push_back(name);
    return static_cast<std::uint32_t>(m_names.size() - 1);
  }

  void sql(const ScannedItem& item) {
    SqlCommand command;
    command.source_text = item.text;
    command.line = item.start.line;
    std::size_t copied = 0;
    command.compound = item.compound;
    for (const ScannedVariable& var : item.variables) {
      const auto slot = resolve(var.name);
      if (!slot) error(item.position_of(var.offset), undefined_variable_message(var.name));
      command.simple_text.append(item.text, copied, var.offset - copied);
      command.param_offsets.push_back(command.simple_text.size());
      command.text.append(item.text, copied, var.offset - copied);
      command.param_slots.push_back(*slot);
      command.text += fmt::format("${}", command.param_slots.size());
      copied = var.offset + var.length;
    }
    command.text.append(item.text, copied);
    command.simple_text.append(item.text, copied);
    if (command.param_slots.size() > 65535) {
      error(item.start, "statement has too many parameters (at most 65535)");
    }
    classify(command);
    command.prepared_name = fmt::format("{}_{}", m_prefix, ++m_sql_count);
    m_commands.emplace_back(std::move(command));
  }

  /// Splits the command text into its name and arguments (offsets into item.text).
  struct Word {
    std::string_view text;
    std::size_t offset;
  };
  static std::vector<Word> split_words(std::string_view text, std::size_t limit) {
    std::vector<Word> words;
    std::size_t i = 0;
    while (i < text.size() && words.size() < limit) {
      if (is_blank(text[i])) {
        ++i;
        continue;
      }
      std::size_t end = i;
      while (end < text.size() && !is_blank(text[end])) ++end;
      words.push_back(Word{text.substr(i, end - i), i});
      i = end;
    }
    return words;
  }

  void backslash(const ScannedItem& item) {
    const auto words = split_words(item.text, 1);
    const std::string name = words.empty() ? std::string() : util::to_lower(words[0].text);
    const bool after_sql = std::exchange(m_after_sql, false);
    if (name == "set") return set(item);
    if (name == "sleep") return sleep(item);
    if (name == "if" || name == "elif") return conditional(item, name);
    if (name == "else" || name == "endif") return block_end(item, name);
    if (name == "gset" || name == "aset") return capture(item, name, after_sql);
    const ScriptPosition at = item.start;
    if (name.empty()) error(at, "missing command name after \"\\\"");
    if (name == "shell" || name == "setshell") {
      error(at, fmt::format("\\{} is not supported by poolbench: it runs a shell command in every "
                            "request, and a pool benchmark measures the database and the pool, "
                            "not process start-up (compute the value with \\set, or in SQL "
                            "with \\gset)",
                            name));
    }
    if (std::find(k_pgbench_commands.begin(), k_pgbench_commands.end(), name) !=
        k_pgbench_commands.end()) {
      error(at, fmt::format("\\{} is not supported by poolbench (pgbench's pipeline mode)", name));
    }
    std::vector<std::string> known(k_pgbench_commands.begin(), k_pgbench_commands.end());
    const std::string suggestion = util::closest_match(name, known);
    error(at,
          fmt::format("unknown command \\{}{}", words[0].text,
                      suggestion.empty() ? "" : fmt::format(" (did you mean \\{}?)", suggestion)));
  }

  /// Parses the expression at `offset` of the command's text; `label` ("\set x", "\if")
  /// starts the messages.
  Expression expression(const ScannedItem& item, std::size_t offset, const std::string& label) {
    const std::string_view text = std::string_view(item.text).substr(offset);
    try {
      return parse_expression(text, [this](std::string_view n) { return resolve(n); });
    } catch (const ExpressionError& e) {
      std::string message = fmt::format("{}: {}", label, e.what());
      if (e.kind() == ExpressionError::Kind::undefined_variable) {
        message = fmt::format("{}: {}", label, undefined_variable_message(e.word()));
      } else if (e.kind() == ExpressionError::Kind::unknown_function) {
        const std::string suggestion =
            util::closest_match(util::to_lower(e.word()), expression_function_names());
        if (!suggestion.empty()) message += fmt::format(" (did you mean {}?)", suggestion);
      }
      error(item.position_of(offset + e.offset()), message);
    }
  }

  /// An open `\if` block: where it starts, the condition whose false branch is not placed
  /// yet, and the jumps to its `\endif`.
  struct Block {
    ScriptPosition at;
    std::optional<std::size_t> open_condition;
    std::vector<std::size_t> jumps;
    bool seen_else = false;
  };

  /// Sets the false branch of the block's open condition to the next command.
  void place_false_branch(Block& block) {
    if (!block.open_condition) return;
    std::get<IfCommand>(m_commands[*block.open_condition]).false_target = m_commands.size();
    block.open_condition.reset();
  }

  /// `\if expr` and `\elif expr` (pgbench's load-time checks for unbalanced blocks).
  void conditional(const ScannedItem& item, const std::string& name) {
    const auto words = split_words(item.text, 2);
    if (name == "elif") {
      if (m_blocks.empty()) error(item.start, "\\elif without matching \\if");
      if (m_blocks.back().seen_else) error(item.start, "\\elif after \\else");
    }
    if (words.size() < 2) error(item.start, fmt::format("\\{}: missing expression", name));
    IfCommand command;
    command.keyword = name;
    command.line = item.start.line;
    command.condition = expression(item, words[1].offset, "\\" + name);
    if (name == "if") {
      m_blocks.push_back(Block{.at = item.start, .open_condition = {}, .jumps = {}});
    } else {
      Block& block = m_blocks.back();
      block.jumps.push_back(m_commands.size());  // the branch before ends here
      m_commands.emplace_back(JumpCommand{.target = 0, .line = item.start.line});
      place_false_branch(block);
    }
    m_blocks.back().open_condition = m_commands.size();
    m_commands.emplace_back(std::move(command));
  }

  /// `\else` and `\endif`.
  void block_end(const ScannedItem& item, const std::string& name) {
    const auto words = split_words(item.text, 2);
    if (m_blocks.empty()) error(item.start, fmt::format("\\{} without matching \\if", name));
    if (words.size() > 1) {
      error(item.position_of(words[1].offset), fmt::format("\\{}: unexpected argument", name));
    }
    Block& block = m_blocks.back();
    if (name == "else") {
      if (block.seen_else) error(item.start, "\\else after \\else");
      block.seen_else = true;
      block.jumps.push_back(m_commands.size());
      m_commands.emplace_back(JumpCommand{.target = 0, .line = item.start.line});
      place_false_branch(block);
      return;
    }
    place_false_branch(block);
    for (const std::size_t jump : block.jumps) {
      std::get<JumpCommand>(m_commands[jump]).target = m_commands.size();
    }
    m_blocks.pop_back();
  }

  /// `\gset [prefix]` and `\aset [prefix]`: they end the SQL statement just before them.
  void capture(const ScannedItem& item, const std::string& name, bool after_sql) {
    const auto words = split_words(item.text, 3);
    if (!after_sql) error(item.start, fmt::format("\\{} must follow an SQL statement", name));
    if (words.size() > 2) {
      error(item.position_of(words[2].offset), fmt::format("\\{}: too many arguments", name));
    }
    std::string prefix;
    if (words.size() == 2) {
      prefix = std::string(words[1].text);
      if (!std::all_of(prefix.begin(), prefix.end(), is_variable_char)) {
        error(item.position_of(words[1].offset),
              fmt::format("\\{}: invalid variable prefix \"{}\"", name, prefix));
      }
    }
    auto& command = std::get<SqlCommand>(m_commands.back());
    command.capture = name == "gset" ? Capture::gset : Capture::aset;
    command.capture_prefix = std::move(prefix);
    m_results_stored = true;
  }

  void set(const ScannedItem& item) {
    const auto words = split_words(item.text, 2);
    if (words.size() < 2) error(item.start, "\\set: missing variable name and expression");
    const Word& var = words[1];
    if (!is_variable_start(var.text[0]) ||
        !std::all_of(var.text.begin(), var.text.end(), is_variable_char)) {
      error(item.position_of(var.offset),
            fmt::format("\\set: invalid variable name \"{}\"", var.text));
    }
    const std::size_t expr_offset = var.offset + var.text.size();
    const std::string_view expr_text = std::string_view(item.text).substr(expr_offset);
    if (std::all_of(expr_text.begin(), expr_text.end(), is_blank)) {
      error(item.position_of(expr_offset), fmt::format("\\set {}: missing expression", var.text));
    }
    SetCommand command;
    command.variable = std::string(var.text);
    command.line = item.start.line;
    const std::string label = fmt::format("\\set {}", var.text);
    command.expression = expression(item, expr_offset, label);
    const std::size_t expr_start = expr_offset + expr_text.find_first_not_of(" \t\r\n\f");
    reject_failing_constant(command.expression, item.position_of(expr_start), label);
    command.slot = define(command.variable);  // after parsing: `\set x :x + 1` needs x before
    m_commands.emplace_back(std::move(command));
  }

  /// An expression without variables that fails whatever the random draws (an empty random
  /// range, a zipfian parameter out of bounds, an int64 overflow) would fail every request of
  /// the run, each counted as an error: bad input now instead. It is tried with several
  /// random states, so a failure that depends on the draws is left to run time.
  void reject_failing_constant(const Expression& expression, ScriptPosition at,
                               std::string_view label) const {
    for (const ExprNode& node : expression.nodes()) {
      if (node.kind == ExprNode::Kind::variable) return;
    }
    std::string first_error;
    for (std::uint64_t seed = 1; seed <= 8; ++seed) {
      ClientParams params;
      params.rng_seed = seed;
      ClientState state(params, 0);
      Value value;
      if (evaluate(expression, state, value)) return;
      if (first_error.empty()) first_error = state.error();
    }
    error(at, fmt::format("{}: {} (the expression has no variable: it would fail on every run)",
                          label, first_error));
  }

  void sleep(const ScannedItem& item) {
    auto words = split_words(item.text, 4);
    if (words.size() < 2) error(item.start, "\\sleep: missing argument (\\sleep N [us|ms|s])");
    if (words.size() > 3) error(item.position_of(words[3].offset), "\\sleep: too many arguments");
    SleepCommand command;
    command.line = item.start.line;
    Word amount = words[1];
    std::optional<Word> unit;
    if (words.size() == 3) unit = words[2];
    if (amount.text[0] == ':') {
      command.variable = std::string(amount.text.substr(1));
      const auto slot = resolve(command.variable);
      if (!slot) {
        error(item.position_of(amount.offset),
              fmt::format("\\sleep: {}", undefined_variable_message(command.variable)));
      }
      command.slot = slot;
    } else {
      std::size_t digits = 0;
      while (digits < amount.text.size() && amount.text[digits] >= '0' &&
             amount.text[digits] <= '9') {
        ++digits;
      }
      if (digits == 0) {
        error(item.position_of(amount.offset), "\\sleep: invalid sleep time, must be an integer");
      }
      const auto [ptr, ec] =
          std::from_chars(amount.text.data(), amount.text.data() + digits, command.amount);
      if (ec != std::errc())
        error(item.position_of(amount.offset), "\\sleep: sleep time out of range");
      (void)ptr;
      if (digits < amount.text.size()) {  // "10ms": the unit is glued to the number
        if (unit) error(item.position_of(unit->offset), "\\sleep: too many arguments");
        unit = Word{amount.text.substr(digits), amount.offset + digits};
      }
    }
    if (unit) {
      const std::string u = util::to_lower(unit->text);
      if (u == "us") {
        command.unit_us = 1;
      } else if (u == "ms") {
        command.unit_us = 1000;
      } else if (u == "s") {
        command.unit_us = 1'000'000;
      } else {
        error(
            item.position_of(unit->offset),
            fmt::format("\\sleep: unrecognized time unit \"{}\", must be us, ms or s", unit->text));
      }
    }
    if (!command.slot &&
        command.amount > std::numeric_limits<std::int64_t>::max() / command.unit_us) {
      error(item.position_of(amount.offset), "\\sleep: sleep time out of range");
    }
    m_commands.emplace_back(std::move(command));
  }

  std::string_view m_text;
  const SourceLocation& m_location;
  std::string m_prefix;
  std::vector<std::string> m_names;
  std::vector<Command> m_commands;
  std::vector<Block> m_blocks;    ///< the `\if` blocks open at this point
  bool m_after_sql = false;       ///< the item before was an SQL statement
  bool m_results_stored = false;  ///< a `\gset` or `\aset` came before
  int m_sql_count = 0;
};

}  // namespace

std::vector<std::string> leading_words(std::string_view text, std::size_t limit) {
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < text.size() && words.size() < limit) {
    if (is_blank(text[i])) {
      ++i;
    } else if (text.substr(i, 2) == "--") {
      i = std::min(text.size(), text.find('\n', i));
    } else if (text.substr(i, 2) == "/*") {
      const std::size_t end = text.find("*/", i + 2);
      i = end == std::string_view::npos ? text.size() : end + 2;
    } else {
      std::size_t end = i;
      while (end < text.size() && is_variable_char(text[end])) ++end;
      if (end == i) break;  // punctuation: no more keywords
      words.push_back(util::to_lower(text.substr(i, end - i)));
      i = end;
    }
  }
  return words;
}

SqlCommand literal_sql_command(std::string text, std::string prepared_name) {
  SqlCommand command;
  command.prepared_name = std::move(prepared_name);
  command.source_text = text;
  command.text = std::move(text);
  classify(command);
  return command;
}

Script parse_script(std::string_view text, const SourceLocation& location,
                    const ScriptOptions& options) {
  std::string where = fmt::format("{}:{}:{}", location.file.empty() ? "script" : location.file,
                                  location.first_line, location.column_offset + 1);
  if (!location.transaction.empty()) {
    where += fmt::format(": transaction \"{}\"", location.transaction);
  }
  if (const auto builtin = builtin_script_text(text, where)) {
    return ScriptParser(*builtin, location, options).parse();
  }
  return ScriptParser(text, location, options).parse();
}

}  // namespace poolbench::script
