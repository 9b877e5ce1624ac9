// Speed of the script engine's hot path: evaluating `\set` expressions and rendering the
// parameters of a prepared statement, per client (single thread).

#include <string>

#include <benchmark/benchmark.h>

#include "script/script.hpp"
#include "script/script_builtin.hpp"
#include "script/script_runtime.hpp"

namespace poolbench::script {
namespace {

/// One `\set r <expression>` script with a ClientState ready to run it.
struct SetFixture {
  explicit SetFixture(const std::string& expression)
      : script(parse_script("\\set x 12345\n\\set r " + expression,
                            SourceLocation{"bench", "t", 1, 0})),
        state(ClientParams{0, 100, 7, 7, 42}, script.slot_count()) {
    benchmark::DoNotOptimize(execute_set(std::get<SetCommand>(script.commands()[0]), state));
  }
  Script script;
  ClientState state;
};

void run_set(benchmark::State& bench, const std::string& expression) {
  SetFixture f(expression);
  const auto& command = std::get<SetCommand>(f.script.commands()[1]);
  for (auto _ : bench) {
    if (!execute_set(command, f.state)) bench.SkipWithError(f.state.error().c_str());
    benchmark::DoNotOptimize(f.state.variable(command.slot));
  }
  bench.SetItemsProcessed(bench.iterations());
}

void BM_SetRandomUniform(benchmark::State& s) {
  run_set(s, "random(1, 100000 * :scale)");
}
void BM_SetRandomGaussian(benchmark::State& s) {
  run_set(s, "random_gaussian(1, 100000 * :scale, 2.5)");
}
void BM_SetRandomExponential(benchmark::State& s) {
  run_set(s, "random_exponential(1, 100000 * :scale, 3.0)");
}
void BM_SetRandomZipfian(benchmark::State& s) {
  run_set(s, "random_zipfian(1, 100000 * :scale, 1.07)");
}
void BM_SetArithmetic(benchmark::State& s) {
  run_set(s, "(:x * 3 + 7) % 1000 - :scale / 2");
}
void BM_SetCaseAndHash(benchmark::State& s) {
  run_set(s, "CASE WHEN :x > 100 THEN hash(:x) % 1000 ELSE abs(:x) END");
}
BENCHMARK(BM_SetRandomUniform);
BENCHMARK(BM_SetRandomGaussian);
BENCHMARK(BM_SetRandomExponential);
BENCHMARK(BM_SetRandomZipfian);
BENCHMARK(BM_SetArithmetic);
BENCHMARK(BM_SetCaseAndHash);

/// Rendering the 4 parameters of tpcb-like's INSERT (ints) and of a mixed statement.
void BM_RenderParams(benchmark::State& bench, const char* script_text) {
  const Script script = parse_script(script_text, SourceLocation{"bench", "t", 1, 0});
  ClientState state(ClientParams{0, 100, 7, 7, 42}, script.slot_count());
  const SqlCommand* sql = nullptr;
  for (const Command& command : script.commands()) {
    if (const auto* set = std::get_if<SetCommand>(&command)) {
      if (!execute_set(*set, state)) bench.SkipWithError(state.error().c_str());
    } else if (const auto* s = std::get_if<SqlCommand>(&command)) {
      sql = s;
    }
  }
  ParamValues params;
  for (auto _ : bench) {
    params.render(*sql, state);
    benchmark::DoNotOptimize(params.values());
  }
  bench.SetItemsProcessed(bench.iterations());
}
BENCHMARK_CAPTURE(BM_RenderParams, four_ints,
                  "\\set aid random(1, 10000000)\n\\set bid 17\n\\set tid 170\n\\set delta -4321\n"
                  "INSERT INTO h VALUES (:tid, :bid, :aid, :delta);");
BENCHMARK_CAPTURE(BM_RenderParams, int_double_bool_null,
                  "\\set i 123456789\n\\set d 1.0 / 3\n\\set b true\n\\set n NULL\n"
                  "SELECT :i, :d, :b, :n;");

/// Parsing (load time), for reference: the tpcb-like script.
void BM_ParseTpcbLike(benchmark::State& bench) {
  const std::string_view text = k_builtin_tpcb_like;
  for (auto _ : bench) {
    benchmark::DoNotOptimize(parse_script(text, SourceLocation{"bench", "t", 1, 0}));
  }
}
BENCHMARK(BM_ParseTpcbLike);

}  // namespace
}  // namespace poolbench::script

BENCHMARK_MAIN();
