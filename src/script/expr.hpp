#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "script/client_state.hpp"
#include "script/value.hpp"

namespace poolbench::script {

/// Every operation of pgbench's expression language. Operators are functions too:
/// `a > b` is lt(b, a), `-x` is sub(0, x), `~x` is bit_xor(-1, x), `x IS NOT NULL` is
/// not(is(x, NULL)), as pgbench's parser builds them.
enum class Function : std::uint8_t {
  add,
  sub,
  mul,
  div,
  mod,
  eq,
  ne,
  lt,
  le,
  bit_and,
  bit_or,
  bit_xor,
  shift_left,
  shift_right,
  logical_and,
  logical_or,
  logical_not,
  is,
  case_when,  ///< args: cond1, value1, ..., condN, valueN, else (NULL when absent)
  abs,
  debug,
  to_double,
  exp,
  greatest,
  least,
  hash_fnv1a,
  hash_murmur2,
  to_int,
  ln,
  pi,
  pow,
  random,
  random_exponential,
  random_gaussian,
  random_zipfian,
  sqrt,
  permute,
};

/// Most arguments a function call may have (pgbench's MAX_FARGS).
inline constexpr std::size_t k_max_function_args = 16;

/// Deepest nesting an expression may have (parentheses, operators, calls): parsing and
/// evaluation recurse, and a deeper expression is an error instead of a stack overflow.
/// pgbench 15's parser accepts 5000 nested parentheses and stops ("memory exhausted") at
/// 10000; 1000 keeps a parse and an evaluation well inside a thread's stack, sanitizers on.
inline constexpr std::size_t k_max_expression_depth = 1000;

/// One node of a parsed expression. Nodes live in Expression::nodes(); children are
/// referenced by index through Expression::args().
struct ExprNode {
  enum class Kind : std::uint8_t { constant, variable, call };
  Kind kind = Kind::constant;
  Function function = Function::add;  ///< for calls
  std::uint32_t slot = 0;             ///< for variables: the ClientState slot
  std::uint32_t first_arg = 0;        ///< for calls: index into args()
  std::uint32_t arg_count = 0;        ///< for calls
  Value constant;                     ///< for constants
};

/// A parsed `\set` expression: immutable after parsing, shared read-only by every client
/// (thread-safe to evaluate concurrently with distinct ClientStates).
class Expression {
 public:
  Expression() = default;
  Expression(std::vector<ExprNode> nodes, std::vector<std::uint32_t> args, std::uint32_t root,
             std::string text)
      : m_nodes(std::move(nodes)), m_args(std::move(args)), m_root(root), m_text(std::move(text)) {}

  std::span<const ExprNode> nodes() const noexcept { return m_nodes; }
  std::span<const std::uint32_t> args() const noexcept { return m_args; }
  std::uint32_t root() const noexcept { return m_root; }
  /// The source text, for display.
  const std::string& text() const noexcept { return m_text; }

 private:
  std::vector<ExprNode> m_nodes;
  std::vector<std::uint32_t> m_args;
  std::uint32_t m_root = 0;
  std::string m_text;
};

/// A load-time error in an expression. `offset` is the byte offset in the parsed text where
/// the problem is; `word` the offending name for unknown functions and variables.
class ExpressionError : public std::runtime_error {
 public:
  enum class Kind { syntax, unknown_function, undefined_variable };
  ExpressionError(Kind kind, const std::string& message, std::size_t offset, std::string word = {})
      : std::runtime_error(message), m_kind(kind), m_offset(offset), m_word(std::move(word)) {}
  Kind kind() const noexcept { return m_kind; }
  std::size_t offset() const noexcept { return m_offset; }
  const std::string& word() const noexcept { return m_word; }

 private:
  Kind m_kind;
  std::size_t m_offset;
  std::string m_word;
};

/// Maps a variable name (without the colon) to its slot, or nullopt when the variable is
/// neither predefined nor `\set` earlier.
using VariableResolver = std::function<std::optional<std::uint32_t>(std::string_view name)>;

/// Parses pgbench's expression grammar (exprparse.y / exprscan.l): integer and double
/// constants, NULL/TRUE/FALSE, `:var`, + - * / %, unary - + ~, comparisons (= <> != < <= >
/// >=), AND OR NOT, & | # << >>, IS [NOT] NULL/TRUE/FALSE, ISNULL, NOTNULL,
/// CASE WHEN .. THEN .. [ELSE ..] END and the functions. Keywords and function names are
/// case-insensitive. Throws ExpressionError (load time only).
Expression parse_expression(std::string_view text, const VariableResolver& resolve);

/// Names of the functions callable by name (for "did you mean").
std::span<const std::string> expression_function_names();

/// Evaluates `expr` with `state`'s variables and random state, with pgbench's semantics
/// (NULL in => NULL out, int64 overflow and division by zero are errors, a double operand
/// makes the operation double). On success stores the result in `out` and returns true,
/// without allocating; on a run-time error returns false with the message in
/// state.error(). Never throws (except std::bad_alloc while building a message).
bool evaluate(const Expression& expr, ClientState& state, Value& out);

}  // namespace poolbench::script
