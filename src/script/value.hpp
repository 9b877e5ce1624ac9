#pragma once

#include <cstdint>

namespace poolbench::script {

/// The type of a script value, as pgbench's PgBenchValue: NULL, boolean, int64 or double.
enum class ValueType : std::uint8_t { null, boolean, integer, real };

/// One value of the script language. Trivially copyable (16 bytes), so variables and
/// evaluation temporaries never allocate.
class Value {
 public:
  constexpr Value() noexcept : m_type(ValueType::null), m_integer(0) {}

  static constexpr Value null() noexcept { return Value(); }
  static constexpr Value boolean(bool b) noexcept {
    Value v;
    v.m_type = ValueType::boolean;
    v.m_boolean = b;
    return v;
  }
  static constexpr Value integer(std::int64_t i) noexcept {
    Value v;
    v.m_type = ValueType::integer;
    v.m_integer = i;
    return v;
  }
  static constexpr Value real(double d) noexcept {
    Value v;
    v.m_type = ValueType::real;
    v.m_real = d;
    return v;
  }

  constexpr ValueType type() const noexcept { return m_type; }
  constexpr bool is_null() const noexcept { return m_type == ValueType::null; }
  /// Accessors: valid only for the matching type().
  constexpr bool as_boolean() const noexcept { return m_boolean; }
  constexpr std::int64_t as_integer() const noexcept { return m_integer; }
  constexpr double as_real() const noexcept { return m_real; }

 private:
  ValueType m_type;
  union {
    bool m_boolean;
    std::int64_t m_integer;
    double m_real;
  };
};

/// pgbench's names of the types, used in coercion error messages ("cannot coerce boolean
/// to int").
constexpr const char* value_type_name(ValueType type) noexcept {
  switch (type) {
    case ValueType::null:
      return "null";
    case ValueType::boolean:
      return "boolean";
    case ValueType::integer:
      return "int";
    case ValueType::real:
      return "double";
  }
  return "none";
}

}  // namespace poolbench::script
