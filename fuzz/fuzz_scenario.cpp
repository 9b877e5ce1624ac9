// Scenario YAML -> load + validate + compile every transaction's script, as `poolbench run`
// does before anything starts. Bad input must be an InputError; anything else (a crash, a
// sanitizer report, another exception, a hang) is a bug.

#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "util/error.hpp"
#include "workload/scenario.hpp"
#include "workload/script.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const poolbench::workload::Scenario scenario =
        poolbench::workload::parse_scenario(text, "fuzz.yaml", {});
    for (const auto& transaction : scenario.transactions) {
      const poolbench::workload::SourceLocation where{scenario.file, transaction.name,
                                                      transaction.script_at.line};
      (void)poolbench::workload::parse_script(transaction.script, where);
    }
    (void)poolbench::workload::to_json(scenario).dump();
  } catch (const poolbench::InputError&) {
  }
  return 0;
}
