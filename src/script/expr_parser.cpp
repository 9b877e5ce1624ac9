// Lexer and Pratt parser of pgbench's expression language (see expr.hpp). Load time only:
// errors are thrown as ExpressionError with the byte offset of the offending token.

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <limits>

#include <fmt/format.h>

#include "script/expr.hpp"
#include "util/strings.hpp"

namespace poolbench::script {
namespace {

struct FunctionInfo {
  std::string_view name;
  Function function;
  std::uint32_t min_args;
  std::uint32_t max_args;
};

// Callable by name, as pgbench's PGBENCH_FUNCTIONS (names compared case-insensitively).
constexpr std::array<FunctionInfo, 21> k_functions = {{
    {"abs", Function::abs, 1, 1},
    {"debug", Function::debug, 1, 1},
    {"double", Function::to_double, 1, 1},
    {"exp", Function::exp, 1, 1},
    {"greatest", Function::greatest, 1, k_max_function_args},
    {"hash", Function::hash_murmur2, 1, 2},
    {"hash_fnv1a", Function::hash_fnv1a, 1, 2},
    {"hash_murmur2", Function::hash_murmur2, 1, 2},
    {"int", Function::to_int, 1, 1},
    {"least", Function::least, 1, k_max_function_args},
    {"ln", Function::ln, 1, 1},
    {"mod", Function::mod, 2, 2},
    {"permute", Function::permute, 2, 3},
    {"pi", Function::pi, 0, 0},
    {"pow", Function::pow, 2, 2},
    {"power", Function::pow, 2, 2},
    {"random", Function::random, 2, 2},
    {"random_exponential", Function::random_exponential, 3, 3},
    {"random_gaussian", Function::random_gaussian, 3, 3},
    {"random_zipfian", Function::random_zipfian, 3, 3},
    {"sqrt", Function::sqrt, 1, 1},
}};
constexpr std::size_t k_named_function_count = k_functions.size();

enum class Tok {
  end,
  integer,
  max_int_plus_one,
  real,
  variable,
  word,
  lparen,
  rparen,
  comma,
  plus,
  minus,
  star,
  slash,
  percent,
  lt,
  gt,
  eq,
  le,
  ge,
  ne,
  bit_and,
  bit_or,
  bit_xor,
  shift_left,
  shift_right,
  tilde,
};

struct Token {
  Tok kind = Tok::end;
  std::size_t offset = 0;
  std::string_view text;
  std::int64_t integer = 0;
  double real = 0.0;
};

bool is_name_start(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || u == '_' || u >= 0x80;
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_name_char(char c) {
  return is_name_start(c) || is_digit(c);
}

class Lexer {
 public:
  explicit Lexer(std::string_view text) : m_text(text) {}

  Token next() {
    while (m_pos < m_text.size() && is_space(m_text[m_pos])) ++m_pos;
    Token token;
    token.offset = m_pos;
    if (m_pos >= m_text.size()) return token;
    const char c = m_text[m_pos];
    if (is_digit(c) || (c == '.' && m_pos + 1 < m_text.size() && is_digit(m_text[m_pos + 1]))) {
      return number(token);
    }
    if (c == ':' && m_pos + 1 < m_text.size() && is_name_start(m_text[m_pos + 1])) {
      std::size_t end = m_pos + 1;
      while (end < m_text.size() && is_name_char(m_text[end])) ++end;
      return take(token, Tok::variable, end);
    }
    if (is_name_start(c)) {
      std::size_t end = m_pos;
      while (end < m_text.size() && is_name_char(m_text[end])) ++end;
      return take(token, Tok::word, end);
    }
    const auto two = m_text.substr(m_pos, 2);
    if (two == "<=") return take(token, Tok::le, m_pos + 2);
    if (two == ">=") return take(token, Tok::ge, m_pos + 2);
    if (two == "<>" || two == "!=") return take(token, Tok::ne, m_pos + 2);
    if (two == "<<") return take(token, Tok::shift_left, m_pos + 2);
    if (two == ">>") return take(token, Tok::shift_right, m_pos + 2);
    static constexpr std::string_view k_singles = "()+-*/%<>=&|#~,";
    static constexpr std::array<Tok, 15> k_single_kinds = {
        Tok::lparen,  Tok::rparen,  Tok::plus,    Tok::minus, Tok::star,
        Tok::slash,   Tok::percent, Tok::lt,      Tok::gt,    Tok::eq,
        Tok::bit_and, Tok::bit_or,  Tok::bit_xor, Tok::tilde, Tok::comma};
    if (const auto i = k_singles.find(c); i != std::string_view::npos) {
      return take(token, k_single_kinds[i], m_pos + 1);
    }
    throw ExpressionError(ExpressionError::Kind::syntax,
                          fmt::format("unexpected character \"{}\"", c), m_pos);
  }

 private:
  static bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\n' || c == '\v';
  }

  Token take(Token& token, Tok kind, std::size_t end) {
    token.kind = kind;
    token.text = m_text.substr(m_pos, end - m_pos);
    m_pos = end;
    return token;
  }

  Token number(Token& token) {
    std::size_t end = m_pos;
    while (end < m_text.size() && is_digit(m_text[end])) ++end;
    bool is_real = false;
    if (end < m_text.size() && m_text[end] == '.') {
      is_real = true;
      ++end;
      while (end < m_text.size() && is_digit(m_text[end])) ++end;
    }
    if (end < m_text.size() && (m_text[end] == 'e' || m_text[end] == 'E')) {
      std::size_t exp = end + 1;
      if (exp < m_text.size() && (m_text[exp] == '+' || m_text[exp] == '-')) ++exp;
      if (exp < m_text.size() && is_digit(m_text[exp])) {
        is_real = true;
        end = exp;
        while (end < m_text.size() && is_digit(m_text[end])) ++end;
      }
    }
    const std::string_view digits = m_text.substr(m_pos, end - m_pos);
    if (is_real) {
      const std::string copy(digits);  // strtod needs a terminated string
      errno = 0;
      token.real = std::strtod(copy.c_str(), nullptr);
      if (errno == ERANGE && std::abs(token.real) > 1.0) {
        throw ExpressionError(ExpressionError::Kind::syntax, "double constant overflow", m_pos);
      }
      return take(token, Tok::real, end);
    }
    const auto [ptr, ec] =
        std::from_chars(digits.data(), digits.data() + digits.size(), token.integer);
    if (ec == std::errc::result_out_of_range) {
      if (digits == "9223372036854775808") return take(token, Tok::max_int_plus_one, end);
      throw ExpressionError(ExpressionError::Kind::syntax, "bigint constant overflow", m_pos);
    }
    (void)ptr;
    return take(token, Tok::integer, end);
  }

  std::string_view m_text;
  std::size_t m_pos = 0;
};

// Binding powers, lowest to highest, as exprparse.y's precedence declarations.
constexpr int k_prec_or = 1;
constexpr int k_prec_and = 2;
constexpr int k_prec_not = 3;
constexpr int k_prec_is = 4;
constexpr int k_prec_compare = 5;
constexpr int k_prec_bitwise = 6;
constexpr int k_prec_additive = 7;
constexpr int k_prec_multiplicative = 8;
constexpr int k_prec_unary = 9;

class Parser {
 public:
  Parser(std::string_view text, const VariableResolver& resolve)
      : m_text(text), m_lexer(text), m_resolve(resolve) {
    advance();
  }

  Expression parse() {
    const std::uint32_t root = parse_expr(0);
    if (m_token.kind != Tok::end) syntax_error();
    return Expression(std::move(m_nodes), std::move(m_args), root, std::string(m_text));
  }

 private:
  void advance() { m_token = m_lexer.next(); }

  [[noreturn]] void syntax_error() const {
    if (m_token.kind == Tok::end) {
      throw ExpressionError(ExpressionError::Kind::syntax, "unexpected end of expression",
                            m_token.offset);
    }
    throw ExpressionError(ExpressionError::Kind::syntax,
                          fmt::format("syntax error at \"{}\"", m_token.text), m_token.offset);
  }

  void expect(Tok kind, std::string_view what) {
    if (m_token.kind != kind) {
      if (m_token.kind == Tok::end) {
        throw ExpressionError(ExpressionError::Kind::syntax,
                              fmt::format("expected {} before the end of the expression", what),
                              m_token.offset);
      }
      throw ExpressionError(ExpressionError::Kind::syntax,
                            fmt::format("expected {}, found \"{}\"", what, m_token.text),
                            m_token.offset);
    }
    advance();
  }

  bool at_keyword(std::string_view keyword) const {
    return m_token.kind == Tok::word && util::iequals(m_token.text, keyword);
  }

  [[noreturn]] void too_deep() const {
    throw ExpressionError(
        ExpressionError::Kind::syntax,
        fmt::format("expression nested more than {} levels deep", k_max_expression_depth),
        m_token.offset);
  }

  /// A node and its depth: 1 for a leaf, one more than its deepest argument for a call.
  std::uint32_t add_node(ExprNode node, std::size_t depth = 1) {
    if (depth > k_max_expression_depth) too_deep();
    m_nodes.push_back(node);
    m_depths.push_back(depth);
    return static_cast<std::uint32_t>(m_nodes.size() - 1);
  }
  std::uint32_t constant(Value v) {
    ExprNode node;
    node.constant = v;
    return add_node(node);
  }
  std::uint32_t variable(std::uint32_t slot) {
    ExprNode node;
    node.kind = ExprNode::Kind::variable;
    node.slot = slot;
    return add_node(node);
  }
  std::uint32_t call(Function function, std::initializer_list<std::uint32_t> args) {
    return call(function, std::vector<std::uint32_t>(args));
  }
  std::uint32_t call(Function function, const std::vector<std::uint32_t>& args) {
    ExprNode node;
    node.kind = ExprNode::Kind::call;
    node.function = function;
    node.first_arg = static_cast<std::uint32_t>(m_args.size());
    node.arg_count = static_cast<std::uint32_t>(args.size());
    m_args.insert(m_args.end(), args.begin(), args.end());
    std::size_t deepest = 0;
    for (const std::uint32_t arg : args) deepest = std::max(deepest, m_depths[arg]);
    return add_node(node, deepest + 1);
  }

  /// Infix precedence of the current token, 0 when it is not an infix/postfix operator.
  int infix_precedence() const {
    switch (m_token.kind) {
      case Tok::plus:
      case Tok::minus:
        return k_prec_additive;
      case Tok::star:
      case Tok::slash:
      case Tok::percent:
        return k_prec_multiplicative;
      case Tok::lt:
      case Tok::gt:
      case Tok::eq:
      case Tok::le:
      case Tok::ge:
      case Tok::ne:
        return k_prec_compare;
      case Tok::bit_and:
      case Tok::bit_or:
      case Tok::bit_xor:
      case Tok::shift_left:
      case Tok::shift_right:
        return k_prec_bitwise;
      case Tok::word:
        if (at_keyword("or")) return k_prec_or;
        if (at_keyword("and")) return k_prec_and;
        if (at_keyword("is") || at_keyword("isnull") || at_keyword("notnull")) return k_prec_is;
        return 0;
      default:
        return 0;
    }
  }

  std::uint32_t parse_expr(int min_prec) {
    // Parentheses nest the parser without adding nodes: its own depth is bounded too.
    if (++m_nesting > k_max_expression_depth) too_deep();
    const std::uint32_t expr = parse_infix(parse_prefix(), min_prec);
    --m_nesting;
    return expr;
  }

  std::uint32_t parse_infix(std::uint32_t lhs, int min_prec) {
    for (;;) {
      const int prec = infix_precedence();
      if (prec == 0 || prec < min_prec) return lhs;
      if (prec == k_prec_is) {
        lhs = parse_is(lhs);
        continue;
      }
      const Token op = m_token;
      advance();
      const std::uint32_t rhs = parse_expr(prec + 1);
      lhs = binary(op, lhs, rhs);
      if (prec == k_prec_compare && infix_precedence() == k_prec_compare) {
        throw ExpressionError(ExpressionError::Kind::syntax,
                              "comparison operators cannot be chained (use AND)", m_token.offset);
      }
    }
  }

  std::uint32_t binary(const Token& op, std::uint32_t lhs, std::uint32_t rhs) {
    switch (op.kind) {
      case Tok::plus:
        return call(Function::add, {lhs, rhs});
      case Tok::minus:
        return call(Function::sub, {lhs, rhs});
      case Tok::star:
        return call(Function::mul, {lhs, rhs});
      case Tok::slash:
        return call(Function::div, {lhs, rhs});
      case Tok::percent:
        return call(Function::mod, {lhs, rhs});
      case Tok::lt:
        return call(Function::lt, {lhs, rhs});
      case Tok::gt:
        return call(Function::lt, {rhs, lhs});
      case Tok::le:
        return call(Function::le, {lhs, rhs});
      case Tok::ge:
        return call(Function::le, {rhs, lhs});
      case Tok::eq:
        return call(Function::eq, {lhs, rhs});
      case Tok::ne:
        return call(Function::ne, {lhs, rhs});
      case Tok::bit_and:
        return call(Function::bit_and, {lhs, rhs});
      case Tok::bit_or:
        return call(Function::bit_or, {lhs, rhs});
      case Tok::bit_xor:
        return call(Function::bit_xor, {lhs, rhs});
      case Tok::shift_left:
        return call(Function::shift_left, {lhs, rhs});
      case Tok::shift_right:
        return call(Function::shift_right, {lhs, rhs});
      default:
        break;
    }
    if (util::iequals(op.text, "and")) return call(Function::logical_and, {lhs, rhs});
    return call(Function::logical_or, {lhs, rhs});
  }

  /// `x IS [NOT] NULL|TRUE|FALSE`, `x ISNULL`, `x NOTNULL`.
  std::uint32_t parse_is(std::uint32_t lhs) {
    if (at_keyword("isnull") || at_keyword("notnull")) {
      const bool negate = at_keyword("notnull");
      advance();
      const std::uint32_t test = call(Function::is, {lhs, constant(Value::null())});
      return negate ? call(Function::logical_not, {test}) : test;
    }
    advance();  // IS
    bool negate = false;
    if (at_keyword("not")) {
      negate = true;
      advance();
    }
    Value against;
    if (at_keyword("null")) {
      against = Value::null();
    } else if (at_keyword("true") || at_keyword("false")) {
      against = Value::boolean(at_keyword("true"));
    } else {
      throw ExpressionError(ExpressionError::Kind::syntax, "expected NULL, TRUE or FALSE after IS",
                            m_token.offset);
    }
    advance();
    const std::uint32_t test = call(Function::is, {lhs, constant(against)});
    return negate ? call(Function::logical_not, {test}) : test;
  }

  std::uint32_t parse_prefix() {
    const Token token = m_token;
    switch (token.kind) {
      case Tok::lparen: {
        advance();
        const std::uint32_t inner = parse_expr(0);
        expect(Tok::rparen, "\")\"");
        return inner;
      }
      case Tok::plus:
        advance();
        return parse_expr(k_prec_unary);
      case Tok::minus:
        advance();
        if (m_token.kind == Tok::max_int_plus_one) {  // -9223372036854775808
          advance();
          return constant(Value::integer(std::numeric_limits<std::int64_t>::min()));
        }
        return call(Function::sub, {constant(Value::integer(0)), parse_expr(k_prec_unary)});
      case Tok::tilde:
        // '~' has the bitwise operators' precedence in exprparse.y: ~1+2 is ~(1+2).
        advance();
        return call(Function::bit_xor,
                    {constant(Value::integer(-1)), parse_expr(k_prec_bitwise + 1)});
      case Tok::integer:
        advance();
        return constant(Value::integer(token.integer));
      case Tok::max_int_plus_one:
        throw ExpressionError(ExpressionError::Kind::syntax, "bigint constant overflow",
                              token.offset);
      case Tok::real:
        advance();
        return constant(Value::real(token.real));
      case Tok::variable:
        advance();
        return resolve_variable(token);
      case Tok::word:
        return parse_word();
      default:
        syntax_error();
    }
  }

  std::uint32_t resolve_variable(const Token& token) {
    const std::string_view name = token.text.substr(1);
    const auto slot = m_resolve(name);
    if (!slot) {
      throw ExpressionError(ExpressionError::Kind::undefined_variable,
                            fmt::format("undefined variable \":{}\"", name), token.offset,
                            std::string(name));
    }
    return variable(*slot);
  }

  std::uint32_t default_seed() {
    const auto slot = m_resolve("default_seed");
    return slot ? variable(*slot) : variable(k_slot_default_seed);
  }

  std::uint32_t parse_word() {
    const Token token = m_token;
    if (at_keyword("null")) return advance(), constant(Value::null());
    if (at_keyword("true")) return advance(), constant(Value::boolean(true));
    if (at_keyword("false")) return advance(), constant(Value::boolean(false));
    if (at_keyword("not")) {
      advance();
      return call(Function::logical_not, {parse_expr(k_prec_not)});
    }
    if (at_keyword("case")) return parse_case();
    advance();
    if (m_token.kind != Tok::lparen) {
      throw ExpressionError(
          ExpressionError::Kind::syntax,
          fmt::format("unexpected word \"{}\" (a variable is written :{}, a function call {}(...))",
                      token.text, token.text, token.text),
          token.offset);
    }
    const auto info =
        std::find_if(k_functions.begin(), k_functions.begin() + k_named_function_count,
                     [&](const FunctionInfo& f) { return util::iequals(f.name, token.text); });
    if (info == k_functions.begin() + k_named_function_count) {
      throw ExpressionError(ExpressionError::Kind::unknown_function,
                            fmt::format("unknown function \"{}\"", token.text), token.offset,
                            std::string(token.text));
    }
    advance();  // (
    std::vector<std::uint32_t> args;
    args.reserve(k_max_function_args);  // also avoids a GCC 12 -Warray-bounds false positive
    if (m_token.kind != Tok::rparen) {
      args.push_back(parse_expr(0));
      while (m_token.kind == Tok::comma) {
        advance();
        args.push_back(parse_expr(0));
      }
    }
    expect(Tok::rparen, "\",\" or \")\"");
    check_arity(*info, args.size(), token.offset);
    // hash(x) and permute(x, n) take their seed from :default_seed.
    const bool seedless =
        ((info->function == Function::hash_murmur2 || info->function == Function::hash_fnv1a) &&
         args.size() == 1) ||
        (info->function == Function::permute && args.size() == 2);
    if (seedless) args.resize(args.size() + 1, default_seed());
    return call(info->function, args);
  }

  static void check_arity(const FunctionInfo& info, std::size_t count, std::size_t offset) {
    if (count >= info.min_args && count <= info.max_args) return;
    std::string expected;
    if (info.min_args == info.max_args) {
      expected = fmt::format("{}", info.min_args);
    } else if (info.max_args == k_max_function_args) {
      expected = fmt::format("{} to {}", info.min_args, info.max_args);
    } else {
      expected = fmt::format("{} or {}", info.min_args, info.max_args);
    }
    throw ExpressionError(ExpressionError::Kind::syntax,
                          fmt::format("wrong number of arguments for {}(): expected {}, got {}",
                                      info.name, expected, count),
                          offset);
  }

  std::uint32_t parse_case() {
    const std::size_t case_offset = m_token.offset;
    advance();  // CASE
    std::vector<std::uint32_t> args;
    args.reserve(k_max_function_args);  // also avoids a GCC 12 -Warray-bounds false positive
    while (at_keyword("when")) {
      advance();
      args.push_back(parse_expr(0));
      if (!at_keyword("then")) {
        throw ExpressionError(ExpressionError::Kind::syntax, "expected THEN in CASE",
                              m_token.offset);
      }
      advance();
      args.push_back(parse_expr(0));
    }
    if (args.empty()) {
      throw ExpressionError(ExpressionError::Kind::syntax, "CASE needs at least one WHEN ... THEN",
                            case_offset);
    }
    if (at_keyword("else")) {
      advance();
      args.push_back(parse_expr(0));
    } else {
      args.push_back(constant(Value::null()));
    }
    if (!at_keyword("end")) {
      throw ExpressionError(ExpressionError::Kind::syntax, "expected WHEN, ELSE or END in CASE",
                            m_token.offset);
    }
    advance();
    return call(Function::case_when, args);
  }

  std::string_view m_text;
  Lexer m_lexer;
  const VariableResolver& m_resolve;
  Token m_token;
  std::vector<ExprNode> m_nodes;
  std::vector<std::size_t> m_depths;  // of each node in m_nodes
  std::size_t m_nesting = 0;          // parse_expr calls under way
  std::vector<std::uint32_t> m_args;
};

}  // namespace

Expression parse_expression(std::string_view text, const VariableResolver& resolve) {
  return Parser(text, resolve).parse();
}

std::span<const std::string> expression_function_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> result;
    for (std::size_t i = 0; i < k_named_function_count; ++i) {
      result.emplace_back(k_functions[i].name);
    }
    return result;
  }();
  return names;
}

}  // namespace poolbench::script
