#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

// What a statement's text says about its parameters (docs/capture.md, "Parameters"): the
// tables it names (FROM, JOIN, UPDATE, INTO, with aliases) and, for each $n in a simple
// comparison (`col = $n`, `$n < t.col`, `col IN ($n, ...)`, `col BETWEEN $n AND $m`), the
// column it is compared with. A tokenizer, not a full SQL grammar: a $n in any other place
// (an expression, a function argument, LIMIT) is left unresolved. The catalog then decides
// which table holds an unqualified column (capture/catalog.hpp).

namespace poolbench::capture {

struct ColumnRef {
  std::string qualifier;  ///< table name or alias as written (lower case); may be empty
  std::string column;     ///< lower case
};

struct SqlRefs {
  std::map<std::string, std::string> tables;  ///< alias (or the name itself) -> table name
  std::map<int, ColumnRef> params;            ///< $n -> the column it is compared with
  int max_param = 0;                          ///< the highest $n in the text
};

SqlRefs analyze_sql(std::string_view sql);

}  // namespace poolbench::capture
