#include "workload/transactions.hpp"

#include "script/script.hpp"

namespace poolbench::workload {

std::vector<CompiledTransaction> compile_transactions(const scenario::Scenario& scenario) {
  std::vector<CompiledTransaction> out;
  for (const auto& transaction : scenario.transactions) {
    script::SourceLocation where{scenario.file, transaction.name, transaction.script_at.line};
    out.push_back(
        {transaction.name, transaction.weight, script::parse_script(transaction.script, where)});
  }
  return out;
}

}  // namespace poolbench::workload
