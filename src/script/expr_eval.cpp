// Run-time evaluation of parsed expressions with pgbench's semantics (pgbench.c
// evaluateExpr / evalLazyFunc / evalStandardFunc). Hot path: returns false with a message
// instead of throwing, and allocates only to build an error message.

#include <array>
#include <cmath>
#include <limits>
#include <numbers>

#include <fmt/format.h>

#include "script/expr.hpp"

namespace poolbench::script {
namespace {

/// True when d (already rounded) converts to int64 without overflow (FLOAT8_FITS_IN_INT64).
bool fits_int64(double d) {
  constexpr double k_min = static_cast<double>(std::numeric_limits<std::int64_t>::min());
  return d >= k_min && d < -k_min;
}

class Evaluator {
 public:
  Evaluator(const Expression& expr, ClientState& state)
      : m_nodes(expr.nodes()), m_args(expr.args()), m_state(state) {}

  bool eval(std::uint32_t index, Value& out) {
    const ExprNode& node = m_nodes[index];
    switch (node.kind) {
      case ExprNode::Kind::constant:
        out = node.constant;
        return true;
      case ExprNode::Kind::variable:
        if (!m_state.readable(node.slot)) return fail(m_state.unreadable_message(node.slot));
        out = m_state.variable(node.slot);
        return true;
      case ExprNode::Kind::call:
        break;
    }
    const auto args = m_args.subspan(node.first_arg, node.arg_count);
    switch (node.function) {
      case Function::logical_and:
      case Function::logical_or:
        return eval_and_or(node.function == Function::logical_and, args, out);
      case Function::case_when:
        return eval_case(args, out);
      default:
        break;
    }
    // Most calls have at most 3 arguments: a small buffer keeps the hot path cheap.
    if (args.size() <= 3) return eval_call<3>(node.function, args, out);
    return eval_call<k_max_function_args>(node.function, args, out);
  }

 private:
  /// Evaluates every argument (into a stack buffer of N values), then applies `f`; NULL
  /// arguments make the result NULL except for IS and debug().
  template <std::size_t N>
  bool eval_call(Function f, std::span<const std::uint32_t> args, Value& out) {
    std::array<Value, N> values;
    bool has_null = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
      // Constants and variables, most arguments, are read here without a call.
      const ExprNode& arg = m_nodes[args[i]];
      if (arg.kind == ExprNode::Kind::constant) {
        values[i] = arg.constant;
      } else if (arg.kind == ExprNode::Kind::variable && m_state.readable(arg.slot)) {
        values[i] = m_state.variable(arg.slot);
      } else if (!eval(args[i], values[i])) {
        return false;
      }
      has_null |= values[i].is_null();
    }
    if (has_null && f != Function::is && f != Function::debug) {
      out = Value::null();
      return true;
    }
    const std::span<const Value> a(values.data(), args.size());
    // The most frequent calls (`random(1, 100000 * :scale)`) go straight to their code,
    // without apply()'s dispatch.
    if (f == Function::random) return random_draw(f, a, out);
    if (is_arithmetic(f)) return arithmetic(f, a[0], a[1], out);
    return apply(f, a, out);
  }

  /// add, sub, mul, div, mod and the comparisons: the functions arithmetic() computes.
  static bool is_arithmetic(Function f) noexcept {
    static_assert(Function::add < Function::le && Function::le < Function::bit_and);
    return f <= Function::le;  // declared first, from add to le
  }

  bool fail(std::string message) {
    m_state.set_error(std::move(message));
    return false;
  }

  bool to_bool(const Value& v, bool& b) {
    if (v.type() == ValueType::boolean) {
      b = v.as_boolean();
      return true;
    }
    return fail(fmt::format("cannot coerce {} to boolean", value_type_name(v.type())));
  }

  bool to_int(const Value& v, std::int64_t& i) {
    if (v.type() == ValueType::integer) [[likely]] {
      i = v.as_integer();
      return true;
    }
    return real_to_int(v, i);
  }

  /// to_int() of anything but an integer: rounded doubles, else an error. Kept out of line
  /// so that to_int() stays a test and a load where it is inlined.
  [[gnu::noinline]] bool real_to_int(const Value& v, std::int64_t& i) {
    if (v.type() == ValueType::real) {
      const double d = std::rint(v.as_real());
      if (std::isnan(d) || !fits_int64(d))
        return fail(fmt::format("double to int overflow for {:f}", d));
      i = static_cast<std::int64_t>(d);
      return true;
    }
    return fail(fmt::format("cannot coerce {} to int", value_type_name(v.type())));
  }

  bool to_double(const Value& v, double& d) {
    if (v.type() == ValueType::real) {
      d = v.as_real();
      return true;
    }
    if (v.type() == ValueType::integer) {
      d = static_cast<double>(v.as_integer());
      return true;
    }
    return fail(fmt::format("cannot coerce {} to double", value_type_name(v.type())));
  }

  /// Truth of a CASE condition: NULL and zero are false (pgbench valueTruth).
  static bool truth(const Value& v) {
    switch (v.type()) {
      case ValueType::null:
        return false;
      case ValueType::boolean:
        return v.as_boolean();
      case ValueType::integer:
        return v.as_integer() != 0;
      case ValueType::real:
        return v.as_real() != 0.0;
    }
    return false;
  }

  bool eval_and_or(bool is_and, std::span<const std::uint32_t> args, Value& out) {
    Value first;
    if (!eval(args[0], first)) return false;
    if (first.is_null()) {
      out = Value::null();
      return true;
    }
    bool b = false;
    if (!to_bool(first, b)) return false;
    if (b != is_and) {  // false AND .., true OR ..: decided without evaluating the rest
      out = Value::boolean(b);
      return true;
    }
    Value second;
    if (!eval(args[1], second)) return false;
    if (second.is_null()) {
      out = Value::null();
      return true;
    }
    if (!to_bool(second, b)) return false;
    out = Value::boolean(b);
    return true;
  }

  bool eval_case(std::span<const std::uint32_t> args, Value& out) {
    const std::size_t pairs = args.size() / 2;
    for (std::size_t i = 0; i < pairs; ++i) {
      Value condition;
      if (!eval(args[2 * i], condition)) return false;
      if (truth(condition)) return eval(args[2 * i + 1], out);
    }
    return eval(args.back(), out);
  }

  bool apply(Function f, std::span<const Value> a, Value& out);
  bool arithmetic(Function f, const Value& l, const Value& r, Value& out);
  bool integer_arithmetic(Function f, std::int64_t li, std::int64_t ri, Value& out);
  bool bitwise(Function f, std::span<const Value> a, Value& out);
  bool extremum(Function f, std::span<const Value> a, Value& out);
  bool random_draw(Function f, std::span<const Value> a, Value& out);
  bool scalar_function(Function f, std::span<const Value> a, Value& out);
  bool hashing(Function f, std::span<const Value> a, Value& out);

  std::span<const ExprNode> m_nodes;
  std::span<const std::uint32_t> m_args;
  ClientState& m_state;
};

bool Evaluator::apply(Function f, std::span<const Value> a, Value& out) {
  switch (f) {
    case Function::add:
    case Function::sub:
    case Function::mul:
    case Function::div:
    case Function::mod:
    case Function::eq:
    case Function::ne:
    case Function::lt:
    case Function::le:
      return arithmetic(f, a[0], a[1], out);
    case Function::bit_and:
    case Function::bit_or:
    case Function::bit_xor:
    case Function::shift_left:
    case Function::shift_right:
      return bitwise(f, a, out);
    case Function::least:
    case Function::greatest:
      return extremum(f, a, out);
    case Function::random:
    case Function::random_exponential:
    case Function::random_gaussian:
    case Function::random_zipfian:
      return random_draw(f, a, out);
    case Function::hash_fnv1a:
    case Function::hash_murmur2:
    case Function::permute:
      return hashing(f, a, out);
    case Function::logical_and:
    case Function::logical_or:
    case Function::case_when:
      break;  // lazy, handled by eval()
    default:
      return scalar_function(f, a, out);
  }
  return fail("internal error: unexpected function");
}

/// not, IS, pi, abs, debug, double, sqrt, ln, exp, int and pow.
bool Evaluator::scalar_function(Function f, std::span<const Value> a, Value& out) {
  switch (f) {
    case Function::logical_not: {
      bool b = false;
      if (!to_bool(a[0], b)) return false;
      out = Value::boolean(!b);
      return true;
    }
    case Function::is:  // a IS b, b a NULL or boolean constant (more permissive than SQL)
      out = Value::boolean(a[0].type() == a[1].type() &&
                           (a[0].is_null() || a[0].as_boolean() == a[1].as_boolean()));
      return true;
    case Function::pi:
      out = Value::real(std::numbers::pi);
      return true;
    case Function::abs:
      if (a[0].type() == ValueType::integer) {
        const std::int64_t i = a[0].as_integer();
        if (i == std::numeric_limits<std::int64_t>::min()) return fail("bigint abs out of range");
        out = Value::integer(i < 0 ? -i : i);
        return true;
      }
      if (a[0].type() == ValueType::real) {
        out = Value::real(std::fabs(a[0].as_real()));
        return true;
      }
      return fail(fmt::format("cannot coerce {} to int", value_type_name(a[0].type())));
    case Function::debug:
      out = a[0];  // pgbench prints to stderr; poolbench's clients run silently
      return true;
    case Function::to_double:
    case Function::sqrt:
    case Function::ln:
    case Function::exp: {
      double d = 0.0;
      if (!to_double(a[0], d)) return false;
      if (f == Function::sqrt) d = std::sqrt(d);
      if (f == Function::ln) d = std::log(d);
      if (f == Function::exp) d = std::exp(d);
      out = Value::real(d);
      return true;
    }
    case Function::to_int: {
      std::int64_t i = 0;
      if (!to_int(a[0], i)) return false;
      out = Value::integer(i);
      return true;
    }
    case Function::pow: {
      double l = 0.0;
      double r = 0.0;
      if (!to_double(a[0], l) || !to_double(a[1], r)) return false;
      out = Value::real(std::pow(l, r));
      return true;
    }
    default:
      break;
  }
  return fail("internal error: unexpected function");
}

/// hash_fnv1a, hash_murmur2 and permute.
bool Evaluator::hashing(Function f, std::span<const Value> a, Value& out) {
  switch (f) {
    case Function::hash_fnv1a:
    case Function::hash_murmur2: {
      std::int64_t value = 0;
      std::int64_t seed = 0;
      if (!to_int(a[0], value) || !to_int(a[1], seed)) return false;
      const auto useed = static_cast<std::uint64_t>(seed);
      out = Value::integer(f == Function::hash_fnv1a ? hash_fnv1a(value, useed)
                                                     : hash_murmur2(value, useed));
      return true;
    }
    case Function::permute: {
      std::int64_t value = 0;
      std::int64_t size = 0;
      std::int64_t seed = 0;
      if (!to_int(a[0], value) || !to_int(a[1], size) || !to_int(a[2], seed)) return false;
      if (size <= 0) return fail("permute size parameter must be greater than zero");
      out = Value::integer(permute(value, size, seed));
      return true;
    }
    default:
      break;
  }
  return fail("internal error: unexpected function");
}

bool Evaluator::arithmetic(Function f, const Value& l, const Value& r, Value& out) {
  if ((l.type() == ValueType::real || r.type() == ValueType::real) && f != Function::mod) {
    double ld = 0.0;
    double rd = 0.0;
    if (!to_double(l, ld) || !to_double(r, rd)) return false;
    switch (f) {
      case Function::add:
        out = Value::real(ld + rd);
        break;
      case Function::sub:
        out = Value::real(ld - rd);
        break;
      case Function::mul:
        out = Value::real(ld * rd);
        break;
      case Function::div:
        out = Value::real(ld / rd);
        break;  // IEEE: x/0 is inf or nan
      case Function::eq:
        out = Value::boolean(ld == rd);
        break;
      case Function::ne:
        out = Value::boolean(ld != rd);
        break;
      case Function::lt:
        out = Value::boolean(ld < rd);
        break;
      default:
        out = Value::boolean(ld <= rd);
        break;
    }
    return true;
  }
  std::int64_t li = 0;
  std::int64_t ri = 0;
  if (!to_int(l, li) || !to_int(r, ri)) return false;
  return integer_arithmetic(f, li, ri, out);
}

bool Evaluator::integer_arithmetic(Function f, std::int64_t li, std::int64_t ri, Value& out) {
  std::int64_t result = 0;
  switch (f) {
    case Function::add:
      if (__builtin_add_overflow(li, ri, &result)) return fail("bigint add out of range");
      break;
    case Function::sub:
      if (__builtin_sub_overflow(li, ri, &result)) return fail("bigint sub out of range");
      break;
    case Function::mul:
      if (__builtin_mul_overflow(li, ri, &result)) return fail("bigint mul out of range");
      break;
    case Function::div:
    case Function::mod:
      if (ri == 0) return fail("division by zero");
      if (ri == -1) {  // INT64_MIN / -1 overflows; x % -1 is 0
        if (f == Function::mod) {
          result = 0;
        } else if (li == std::numeric_limits<std::int64_t>::min()) {
          return fail("bigint div out of range");
        } else {
          result = -li;
        }
        break;
      }
      result = f == Function::div ? li / ri : li % ri;
      break;
    case Function::eq:
      out = Value::boolean(li == ri);
      return true;
    case Function::ne:
      out = Value::boolean(li != ri);
      return true;
    case Function::lt:
      out = Value::boolean(li < ri);
      return true;
    default:
      out = Value::boolean(li <= ri);
      return true;
  }
  out = Value::integer(result);
  return true;
}

bool Evaluator::bitwise(Function f, std::span<const Value> a, Value& out) {
  std::int64_t li = 0;
  std::int64_t ri = 0;
  if (!to_int(a[0], li) || !to_int(a[1], ri)) return false;
  switch (f) {
    case Function::bit_and:
      out = Value::integer(li & ri);
      return true;
    case Function::bit_or:
      out = Value::integer(li | ri);
      return true;
    case Function::bit_xor:
      out = Value::integer(li ^ ri);
      return true;
    default:
      break;
  }
  // pgbench shifts with C semantics (undefined outside 0..63); poolbench reports an error.
  if (ri < 0 || ri > 63) return fail(fmt::format("shift count {} out of range (0 to 63)", ri));
  out = Value::integer(f == Function::shift_left
                           ? static_cast<std::int64_t>(static_cast<std::uint64_t>(li) << ri)
                           : li >> ri);
  return true;
}

bool Evaluator::extremum(Function f, std::span<const Value> a, Value& out) {
  bool has_double = false;
  for (const Value& v : a) has_double |= v.type() == ValueType::real;
  const bool least = f == Function::least;
  if (has_double) {
    double best = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i) {
      double d = 0.0;
      if (!to_double(a[i], d)) return false;
      if (i == 0 || (least ? d < best : d > best)) best = d;
    }
    out = Value::real(best);
    return true;
  }
  std::int64_t best = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    std::int64_t v = 0;
    if (!to_int(a[i], v)) return false;
    if (i == 0 || (least ? v < best : v > best)) best = v;
  }
  out = Value::integer(best);
  return true;
}

bool Evaluator::random_draw(Function f, std::span<const Value> a, Value& out) {
  std::int64_t lo = 0;
  std::int64_t hi = 0;
  if (!to_int(a[0], lo) || !to_int(a[1], hi)) return false;
  std::int64_t width = 0;
  if (lo > hi) return fail("empty range given to random");
  if (__builtin_sub_overflow(hi, lo, &width) || __builtin_add_overflow(width, 1, &width)) {
    return fail("random range is too large");
  }
  RandomState& rng = m_state.rng();
  if (f == Function::random) {
    out = Value::integer(random_uniform(rng, lo, hi));
    return true;
  }
  double parameter = 0.0;
  if (!to_double(a[2], parameter)) return false;
  if (f == Function::random_gaussian) {
    if (!(parameter >= k_min_gaussian_parameter)) {
      return fail(fmt::format("gaussian parameter must be at least {:f} (not {:f})",
                              k_min_gaussian_parameter, parameter));
    }
    out = Value::integer(random_gaussian(rng, lo, hi, parameter));
  } else if (f == Function::random_zipfian) {
    if (!(parameter >= k_min_zipfian_parameter && parameter <= k_max_zipfian_parameter)) {
      return fail(fmt::format("zipfian parameter must be in range [{:.3f}, {:.0f}] (not {:f})",
                              k_min_zipfian_parameter, k_max_zipfian_parameter, parameter));
    }
    out = Value::integer(random_zipfian(rng, lo, hi, parameter));
  } else {
    if (!(parameter > 0.0)) {
      return fail(
          fmt::format("exponential parameter must be greater than zero (not {:f})", parameter));
    }
    out = Value::integer(random_exponential(rng, lo, hi, parameter));
  }
  return true;
}

}  // namespace

bool evaluate(const Expression& expr, ClientState& state, Value& out) {
  if (expr.nodes().empty()) {
    state.set_error("empty expression");
    return false;
  }
  return Evaluator(expr, state).eval(expr.root(), out);
}

}  // namespace poolbench::script
