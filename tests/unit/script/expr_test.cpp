// Expression evaluation against pgbench's semantics. Expected values marked "pgbench 15"
// were printed by `pgbench` 15.18's debug() for the same expressions.

#include "script/expr.hpp"

#include <cmath>
#include <limits>
#include <string>

#include <gtest/gtest.h>

namespace poolbench::script {
namespace {

constexpr std::uint32_t k_slot_x = 4;
constexpr std::uint32_t k_slot_null = 5;
constexpr std::uint32_t k_slot_d = 6;

std::optional<std::uint32_t> resolve(std::string_view name) {
  for (std::uint32_t i = 0; i < k_predefined_variables.size(); ++i) {
    if (k_predefined_variables[i] == name) return i;
  }
  if (name == "x") return k_slot_x;
  if (name == "n") return k_slot_null;
  if (name == "d") return k_slot_d;
  return std::nullopt;
}

class ExprTest : public ::testing::Test {
 protected:
  ExprTest() : m_state(ClientParams{3, 10, 1000, 77, 12345}, 7) {
    m_state.set_variable(k_slot_x, Value::integer(42));
    m_state.set_variable(k_slot_null, Value::null());
    m_state.set_variable(k_slot_d, Value::real(2.5));
  }

  /// Evaluates `text`; fails the test on a run-time error.
  Value eval(std::string_view text) {
    const Expression expr = parse_expression(text, resolve);
    Value out;
    EXPECT_TRUE(evaluate(expr, m_state, out)) << text << ": " << m_state.error();
    return out;
  }
  std::int64_t eval_int(std::string_view text) {
    const Value v = eval(text);
    EXPECT_EQ(v.type(), ValueType::integer) << text;
    return v.as_integer();
  }
  double eval_real(std::string_view text) {
    const Value v = eval(text);
    EXPECT_EQ(v.type(), ValueType::real) << text;
    return v.as_real();
  }
  bool eval_bool(std::string_view text) {
    const Value v = eval(text);
    EXPECT_EQ(v.type(), ValueType::boolean) << text;
    return v.as_boolean();
  }
  /// Evaluates `text`, expecting a run-time error; returns its message.
  std::string eval_error(std::string_view text) {
    const Expression expr = parse_expression(text, resolve);
    Value out;
    EXPECT_FALSE(evaluate(expr, m_state, out)) << text;
    return m_state.error();
  }
  /// Parses `text`, expecting a load-time error; returns it.
  static ExpressionError parse_error(std::string_view text) {
    try {
      parse_expression(text, resolve);
    } catch (const ExpressionError& e) {
      return e;
    }
    ADD_FAILURE() << "no parse error for " << text;
    return ExpressionError(ExpressionError::Kind::syntax, "", 0);
  }

  ClientState m_state;
};

TEST_F(ExprTest, PrecedenceFollowsPgbench) {
  EXPECT_EQ(eval_int("1 + 2 * 3 - 4"), 3);
  EXPECT_EQ(eval_int("(1 + 2) * 3"), 9);
  EXPECT_EQ(eval_int("-2 * 3"), -6);
  EXPECT_EQ(eval_int("~1 + 2"), -4);  // pgbench 15: '~' binds like the bitwise operators
  EXPECT_EQ(eval_int("~1 | 2"), -2);
  EXPECT_EQ(eval_int("2 << 3 + 1"), 32);
  EXPECT_EQ(eval_int("10 - 4 - 3"), 3);  // left associative
  EXPECT_EQ(eval_int("100 / 10 / 5"), 2);
  EXPECT_TRUE(eval_bool("NOT 1 = 2"));
  EXPECT_TRUE(eval_bool("1 < 2 AND 3 > 2 OR false"));
  EXPECT_FALSE(eval_bool("1 IS NULL IS NULL"));
  EXPECT_EQ(eval_int("+5"), 5);
  EXPECT_EQ(eval_int("- -5"), 5);
}

TEST_F(ExprTest, IntegerDivisionTruncatesAndModuloKeepsTheDividendSign) {
  EXPECT_EQ(eval_int("7 / 2"), 3);
  EXPECT_EQ(eval_int("-7 / 2"), -3);
  EXPECT_EQ(eval_int("-7 % 3"), -1);
  EXPECT_EQ(eval_int("mod(-7, 3)"), -1);
  EXPECT_EQ(eval_int("5 % -1"), 0);
  EXPECT_EQ(eval_int("-9223372036854775807 / -1"), 9223372036854775807);
}

TEST_F(ExprTest, ADoubleOperandMakesTheOperationDouble) {
  EXPECT_DOUBLE_EQ(eval_real("7.0 / 2"), 3.5);
  EXPECT_DOUBLE_EQ(eval_real("1 + 0.5"), 1.5);
  EXPECT_DOUBLE_EQ(eval_real(":d * 2"), 5.0);
  EXPECT_DOUBLE_EQ(eval_real("double(1) / 3"), 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(eval_real(".5 + 5."), 5.5);
  EXPECT_DOUBLE_EQ(eval_real("1e3"), 1000.0);
  EXPECT_DOUBLE_EQ(eval_real("1.5E-1"), 0.15);
  EXPECT_TRUE(std::isinf(eval_real("1e300 * 1e300")));
  EXPECT_TRUE(eval_bool("1 = 1.0"));
  EXPECT_TRUE(eval_bool("1 < 1.5"));
  // % is integer only: the double operand is rounded (rint) to an int.
  EXPECT_EQ(eval_int("7.6 % 3"), 2);
}

TEST_F(ExprTest, IntegerOverflowIsAnError) {
  EXPECT_EQ(eval_error("9223372036854775807 + 1"), "bigint add out of range");
  EXPECT_EQ(eval_error("-9223372036854775807 - 2"), "bigint sub out of range");
  EXPECT_EQ(eval_error("4611686018427387904 * 2"), "bigint mul out of range");
  EXPECT_EQ(eval_error("-9223372036854775808 / -1"), "bigint div out of range");
  EXPECT_EQ(eval_error("-(-9223372036854775808)"), "bigint sub out of range");
  EXPECT_EQ(eval_error("abs(-9223372036854775808)"), "bigint abs out of range");
  EXPECT_EQ(eval_int("-9223372036854775808"), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(eval_error("int(1e30)"),
            "double to int overflow for 1000000000000000019884624838656.000000");
}

TEST_F(ExprTest, DivisionByZeroIsAnErrorForIntegersOnly) {
  EXPECT_EQ(eval_error("1 / 0"), "division by zero");
  EXPECT_EQ(eval_error("1 % 0"), "division by zero");
  EXPECT_TRUE(std::isinf(eval_real("1.0 / 0")));
}

TEST_F(ExprTest, NullPropagatesThroughFunctionsAndOperators) {
  EXPECT_TRUE(eval("1 + null").is_null());
  EXPECT_TRUE(eval(":n * 2").is_null());
  EXPECT_TRUE(eval("random(1, :n)").is_null());
  EXPECT_TRUE(eval("least(1, null, 3)").is_null());
  EXPECT_TRUE(eval("NULL AND false").is_null());
  EXPECT_FALSE(eval_bool("false AND NULL"));
  EXPECT_TRUE(eval_bool("true OR NULL"));
  EXPECT_TRUE(eval("false OR NULL").is_null());
  EXPECT_TRUE(eval_bool(":n IS NULL"));
  EXPECT_TRUE(eval_bool(":n ISNULL"));
  EXPECT_FALSE(eval_bool("NULL IS NOT NULL"));
  EXPECT_TRUE(eval_bool("1 NOTNULL"));
  EXPECT_TRUE(eval("NOT NULL").is_null());
}

TEST_F(ExprTest, IsComparesTypeAndTruthLikePgbench) {
  EXPECT_FALSE(eval_bool("5 IS TRUE"));
  EXPECT_TRUE(eval_bool("true IS TRUE"));
  EXPECT_TRUE(eval_bool("false IS NOT TRUE"));
  EXPECT_TRUE(eval_bool("1 = 2 IS FALSE"));
}

TEST_F(ExprTest, BooleanOperatorsRejectNonBooleans) {
  EXPECT_EQ(eval_error("1 AND true"), "cannot coerce int to boolean");
  EXPECT_EQ(eval_error("NOT 1"), "cannot coerce int to boolean");
  EXPECT_EQ(eval_error("true + 1"), "cannot coerce boolean to int");
  EXPECT_EQ(eval_error("sqrt(true)"), "cannot coerce boolean to double");
  EXPECT_FALSE(eval_bool("false AND 1"));  // short-circuit: the right side is not looked at
  EXPECT_TRUE(eval_bool("true OR 1"));
}

TEST_F(ExprTest, ComparisonsOfEveryKind) {
  EXPECT_TRUE(eval_bool("1 = 1"));
  EXPECT_TRUE(eval_bool("1 <> 2"));
  EXPECT_TRUE(eval_bool("1 != 2"));
  EXPECT_TRUE(eval_bool("1 < 2"));
  EXPECT_TRUE(eval_bool("2 <= 2"));
  EXPECT_TRUE(eval_bool("3 > 2"));
  EXPECT_TRUE(eval_bool("2 >= 2"));
  EXPECT_FALSE(eval_bool("2 > 2"));
}

TEST_F(ExprTest, BitwiseOperators) {
  EXPECT_EQ(eval_int("12 & 10"), 8);
  EXPECT_EQ(eval_int("12 | 10"), 14);
  EXPECT_EQ(eval_int("12 # 10"), 6);
  EXPECT_EQ(eval_int("1 << 62"), std::int64_t{1} << 62);
  EXPECT_EQ(eval_int("-16 >> 2"), -4);
  EXPECT_EQ(eval_int("~0"), -1);
  EXPECT_EQ(eval_error("1 << 64"), "shift count 64 out of range (0 to 63)");
}

TEST_F(ExprTest, CaseTakesTheFirstTrueBranch) {
  EXPECT_EQ(eval_int("case when 0 then 1 when 2 then 3 else 4 end"), 3);
  EXPECT_EQ(eval_int("CASE WHEN :x > 40 THEN 1 ELSE 2 END"), 1);
  EXPECT_EQ(eval_int("case when false then 1 else 2 end"), 2);
  EXPECT_TRUE(eval("case when false then 1 end").is_null());
  EXPECT_EQ(eval_int("case when null then 1 else 2 end"), 2);
  // Branches not taken are not evaluated.
  EXPECT_EQ(eval_int("case when true then 1 else 1 / 0 end"), 1);
}

TEST_F(ExprTest, MathFunctions) {
  EXPECT_EQ(eval_int("abs(-3)"), 3);
  EXPECT_DOUBLE_EQ(eval_real("abs(-3.5)"), 3.5);
  EXPECT_EQ(eval_int("debug(7)"), 7);
  EXPECT_DOUBLE_EQ(eval_real("double(3)"), 3.0);
  EXPECT_DOUBLE_EQ(eval_real("exp(1)"), std::exp(1.0));
  EXPECT_DOUBLE_EQ(eval_real("ln(10)"), std::log(10.0));
  EXPECT_DOUBLE_EQ(eval_real("sqrt(2)"), std::sqrt(2.0));
  EXPECT_DOUBLE_EQ(eval_real("pi()"), 3.14159265358979323846);
  EXPECT_DOUBLE_EQ(eval_real("pow(2, 10)"), 1024.0);
  EXPECT_DOUBLE_EQ(eval_real("power(2, 0.5)"), std::sqrt(2.0));
  EXPECT_EQ(eval_int("int(2.5)"), 2);  // rint: ties to even
  EXPECT_EQ(eval_int("int(3.5)"), 4);
  EXPECT_EQ(eval_int("int(-2.5)"), -2);
  EXPECT_EQ(eval_int("int(7)"), 7);
  EXPECT_EQ(eval_int("greatest(1, 2, 3)"), 3);
  EXPECT_EQ(eval_int("least(5, :x, 3)"), 3);
  EXPECT_DOUBLE_EQ(eval_real("least(1, 2.5, -3)"), -3.0);  // a double makes the result double
  EXPECT_EQ(eval_int("ABS(-1)"), 1);                       // names are case-insensitive
}

TEST_F(ExprTest, HashFunctionsMatchPgbench) {
  // pgbench 15, -D default_seed=1000.
  m_state.set_variable(k_slot_default_seed, Value::integer(1000));
  EXPECT_EQ(eval_int("hash(123)"), 9003934584032149391);
  EXPECT_EQ(eval_int("hash(123, 456)"), -8929454885513663352);
  EXPECT_EQ(eval_int("hash_fnv1a(123, 456)"), 6535508269739266390);
  EXPECT_EQ(eval_int("hash_fnv1a(-7, 0)"), -4637405028990054917);
  EXPECT_EQ(eval_int("hash_murmur2(-7, 99)"), 8140138282748877610);
  EXPECT_EQ(eval_int("hash_fnv1a(123)"), 4935269200450343798);
}

TEST_F(ExprTest, PermuteMatchesPgbench) {
  EXPECT_EQ(eval_int("permute(0, 10, 42)"), 1);  // pgbench 15
  EXPECT_EQ(eval_int("permute(1, 10, 42)"), 7);
  EXPECT_EQ(eval_int("permute(9, 10, 42)"), 2);
  EXPECT_EQ(eval_int("permute(12345, 1000000, 5432)"), 91145);
  EXPECT_EQ(eval_int("permute(7, 3, -1)"), 0);
  EXPECT_EQ(eval_error("permute(1, 0, 1)"), "permute size parameter must be greater than zero");
  // A permutation: every value of [0, size) exactly once.
  std::vector<int> seen(97, 0);
  for (int i = 0; i < 97; ++i) {
    const auto v = eval_int("permute(" + std::to_string(i) + ", 97)");
    ASSERT_GE(v, 0);
    ASSERT_LT(v, 97);
    ++seen[static_cast<std::size_t>(v)];
  }
  for (const int count : seen) EXPECT_EQ(count, 1);
}

TEST_F(ExprTest, RandomArgumentsAreValidatedWithPgbenchMessages) {
  EXPECT_EQ(eval_error("random(5, 1)"), "empty range given to random");
  EXPECT_EQ(eval_error("random(-9223372036854775808, 9223372036854775807)"),
            "random range is too large");
  EXPECT_EQ(eval_error("random_gaussian(1, 10, 1.5)"),
            "gaussian parameter must be at least 2.000000 (not 1.500000)");
  EXPECT_EQ(eval_error("random_zipfian(1, 10, 0.5)"),
            "zipfian parameter must be in range [1.001, 1000] (not 0.500000)");
  EXPECT_EQ(eval_error("random_exponential(1, 10, 0)"),
            "exponential parameter must be greater than zero (not 0.000000)");
  EXPECT_EQ(eval_int("random(7, 7)"), 7);
}

TEST_F(ExprTest, VariablesReadTheClientsSlots) {
  EXPECT_EQ(eval_int(":x + 1"), 43);
  EXPECT_EQ(eval_int(":scale"), 10);
  EXPECT_EQ(eval_int(":client_id"), 3);
  EXPECT_EQ(eval_int(":default_seed"), 1000);
  EXPECT_EQ(eval_int(":random_seed"), 77);
}

TEST_F(ExprTest, SyntaxErrorsPointAtTheOffendingToken) {
  EXPECT_EQ(parse_error("1 +").offset(), 3u);
  EXPECT_EQ(parse_error("1 ** 2").offset(), 3u);
  EXPECT_EQ(parse_error("(1 + 2").offset(), 6u);
  EXPECT_STREQ(parse_error("1 < 2 = true").what(),
               "comparison operators cannot be chained (use AND)");
  EXPECT_STREQ(parse_error("9223372036854775808").what(), "bigint constant overflow");
  EXPECT_STREQ(parse_error("1 $ 2").what(), "unexpected character \"$\"");
  EXPECT_STREQ(parse_error("x + 1").what(),
               "unexpected word \"x\" (a variable is written :x, a function call x(...))");
  EXPECT_STREQ(parse_error("case when true then 1").what(), "expected WHEN, ELSE or END in CASE");
  EXPECT_STREQ(parse_error("1 IS 2").what(), "expected NULL, TRUE or FALSE after IS");
}

TEST_F(ExprTest, NestingIsBoundedSoNoExpressionOverflowsTheStack) {
  // Each shape nests one way: prefix operators, parentheses (no nodes), a left-leaning
  // chain of infix operators (one parser level, a deep tree) and nested calls.
  const auto repeat = [](std::string_view piece, std::size_t n) {
    std::string text;
    for (std::size_t i = 0; i < n; ++i) text += piece;
    return text;
  };
  const std::size_t too_many = k_max_expression_depth + 1;
  for (const std::string& text :
       {repeat("~", 100'000) + "1", repeat("(", 100'000) + "1" + repeat(")", 100'000),
        "1" + repeat(" + 1", too_many), repeat("abs(", too_many) + "1" + repeat(")", too_many)}) {
    EXPECT_STREQ(parse_error(text).what(), "expression nested more than 1000 levels deep")
        << text.substr(0, 40);
  }
  // Deep but within the limit: parsed and evaluated.
  EXPECT_EQ(eval_int("1" + repeat(" + 1", k_max_expression_depth - 1)), 1000);
  EXPECT_EQ(eval_int(repeat("(", 500) + "7" + repeat(")", 500)), 7);
  EXPECT_EQ(eval_int(repeat("-", 499) + "7"), -7);
}

TEST_F(ExprTest, UnknownFunctionsAndWrongArityAreLoadTimeErrors) {
  const auto unknown = parse_error("1 + randon(1, 2)");
  EXPECT_EQ(unknown.kind(), ExpressionError::Kind::unknown_function);
  EXPECT_EQ(unknown.word(), "randon");
  EXPECT_EQ(unknown.offset(), 4u);
  EXPECT_STREQ(parse_error("random(1)").what(),
               "wrong number of arguments for random(): expected 2, got 1");
  EXPECT_STREQ(parse_error("hash(1, 2, 3)").what(),
               "wrong number of arguments for hash(): expected 1 or 2, got 3");
  EXPECT_STREQ(parse_error("least()").what(),
               "wrong number of arguments for least(): expected 1 to 16, got 0");
  EXPECT_STREQ(parse_error("pi(1)").what(),
               "wrong number of arguments for pi(): expected 0, got 1");
  const auto undefined = parse_error(":nope + 1");
  EXPECT_EQ(undefined.kind(), ExpressionError::Kind::undefined_variable);
  EXPECT_EQ(undefined.word(), "nope");
}

TEST_F(ExprTest, EvaluationIsReproducibleForAGivenSeed) {
  ClientState a(ClientParams{0, 1, 0, 0, 99}, 7);
  ClientState b(ClientParams{0, 1, 0, 0, 99}, 7);
  const Expression expr = parse_expression("random(1, 1000000)", resolve);
  for (int i = 0; i < 100; ++i) {
    Value va;
    Value vb;
    ASSERT_TRUE(evaluate(expr, a, va));
    ASSERT_TRUE(evaluate(expr, b, vb));
    ASSERT_EQ(va.as_integer(), vb.as_integer());
  }
}

}  // namespace
}  // namespace poolbench::script
