// pgbench script text -> parse (scanner, expression parser, variable resolution), then run
// every command twice with a client's state as the generator does: \set through the
// evaluator, \sleep's duration, SQL parameters rendered. Parse errors must be InputErrors;
// run-time errors are return values (never exceptions, crashes or UB).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "script/client_state.hpp"
#include "script/script.hpp"
#include "script/script_runtime.hpp"
#include "util/error.hpp"

namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace wl = poolbench::script;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const wl::Script script = wl::parse_script(text, wl::SourceLocation{"fuzz.sql", "t", 1, 0});
    wl::ClientParams params;
    params.scale = 10;
    params.rng_seed = size;
    wl::ClientState state(params, script.slot_count());
    wl::ParamValues values;
    for (int round = 0; round < 2; ++round) {
      for (const wl::Command& command : script.commands()) {
        std::visit(Overloaded{[&](const wl::SetCommand& set) { (void)wl::execute_set(set, state); },
                              [&](const wl::SleepCommand& sleep) {
                                std::chrono::microseconds duration{0};
                                (void)wl::sleep_duration(sleep, state, duration);
                              },
                              [&](const wl::SqlCommand& sql) { (void)values.render(sql, state); },
                              [&](const wl::IfCommand& branch) {
                                bool taken = false;
                                (void)wl::evaluate_condition(branch, state, taken);
                              },
                              [&](const wl::JumpCommand&) {}},
                   command);
      }
    }
  } catch (const poolbench::InputError&) {
  }
  return 0;
}
