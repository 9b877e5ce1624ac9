// Scenario YAML -> load + validate + compile every transaction's script, as `poolbench run`
// does before anything starts. Bad input must be an InputError; anything else (a crash, a
// sanitizer report, another exception, a hang) is a bug.

#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "scenario/scenario.hpp"
#include "script/script.hpp"
#include "util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const poolbench::scenario::Scenario scenario =
        poolbench::scenario::parse_scenario(text, "fuzz.yaml", {});
    for (const auto& transaction : scenario.transactions) {
      const poolbench::script::SourceLocation where{scenario.file, transaction.name,
                                                    transaction.script_at.line};
      (void)poolbench::script::parse_script(transaction.script, where);
    }
    (void)poolbench::scenario::to_json(scenario).dump();
  } catch (const poolbench::InputError&) {
  }
  return 0;
}
