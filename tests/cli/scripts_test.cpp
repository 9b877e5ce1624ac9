// `poolbench scripts list | show NAME`: pgbench's built-in scripts, as scenarios name them.

#include <string>

#include <gtest/gtest.h>

#include "cli/run_binary.hpp"
#include "cli/run_fixture.hpp"
#include "script/script_builtin.hpp"

using poolbench::testing::run_process;

namespace {

using poolbench::testing::k_binary;

TEST(CliScripts, ListNamesPgbenchsThreeBuiltins) {
  const auto result = run_process(k_binary, {"scripts", "list"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  for (const char* name : {"tpcb-like", "simple-update", "select-only"}) {
    EXPECT_NE(result.out.find(name), std::string::npos) << name << " in:\n" << result.out;
  }
}

TEST(CliScripts, ShowPrintsTheScriptAScenarioRunsAndAcceptsAUniquePrefix) {
  const auto full = run_process(k_binary, {"scripts", "show", "tpcb-like"});
  EXPECT_EQ(full.exit_code, 0) << full.err;
  EXPECT_EQ(full.out, poolbench::script::k_builtin_tpcb_like);
  const auto prefix = run_process(k_binary, {"scripts", "show", "select"});
  EXPECT_EQ(prefix.exit_code, 0) << prefix.err;
  EXPECT_EQ(prefix.out, poolbench::script::k_builtin_select_only);
}

TEST(CliScripts, AnUnknownOrAmbiguousNameExitsTwoNamingTheKnownOnes) {
  const auto unknown = run_process(k_binary, {"scripts", "show", "tpcc"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_TRUE(unknown.out.empty());
  EXPECT_NE(unknown.err.find("unknown built-in script \"tpcc\""), std::string::npos) << unknown.err;
  EXPECT_NE(unknown.err.find("tpcb-like, simple-update, select-only"), std::string::npos);
  // "s" is a prefix of two names: ambiguous, as for pgbench -b.
  EXPECT_EQ(run_process(k_binary, {"scripts", "show", "s"}).exit_code, 2);
  EXPECT_EQ(run_process(k_binary, {"scripts", "frobnicate"}).exit_code, 2);
}

}  // namespace
