// The rest of pgbench's script language: \if/\elif/\else/\endif (load-time block checks and
// the branches taken at run time), \gset/\aset (parsing, and the text values they store),
// compound statements joined by \; and psql's quoting forms pgbench does not interpolate.

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "script/script.hpp"
#include "script/script_runtime.hpp"
#include "util/error.hpp"

namespace poolbench::script {
namespace {

const SourceLocation k_control_where{"scenarios/test.yaml", "t", 10, 0};

std::string control_load_error(std::string_view text) {
  try {
    parse_script(text, k_control_where);
  } catch (const InputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error for: " << text;
  return {};
}

/// Runs the script's \set, \if and jumps (as the generator does) and returns the source
/// text of each SQL statement reached, in order.
std::vector<std::string> statements_run(const Script& script, ClientState& state) {
  std::vector<std::string> run;
  std::size_t pc = 0;
  const auto& commands = script.commands();
  while (pc < commands.size()) {
    const Command& command = commands[pc++];
    if (const auto* set = std::get_if<SetCommand>(&command)) {
      EXPECT_TRUE(execute_set(*set, state)) << state.error();
    } else if (const auto* branch = std::get_if<IfCommand>(&command)) {
      bool taken = false;
      EXPECT_TRUE(evaluate_condition(*branch, state, taken)) << state.error();
      if (!taken) pc = branch->false_target;
    } else if (const auto* jump = std::get_if<JumpCommand>(&command)) {
      pc = jump->target;
    } else if (const auto* sql = std::get_if<SqlCommand>(&command)) {
      run.push_back(sql->source_text);
    }
  }
  return run;
}

std::vector<std::string> run_with(std::string_view text, std::int64_t x) {
  const std::string full = "\\set x " + std::to_string(x) + "\n" + std::string(text);
  const Script script = parse_script(full, k_control_where);
  ClientState state(ClientParams{}, script.slot_count());
  return statements_run(script, state);
}

constexpr std::string_view k_chain = R"(\if :x = 1
SELECT 'one';
\elif :x = 2
SELECT 'two';
\elif :x = 3
  \if :scale > 0
  SELECT 'three, scale';
  \else
  SELECT 'three, no scale';
  \endif
\else
SELECT 'other';
\endif
SELECT 'after';
)";

TEST(ScriptConditionalTest, TakesExactlyOneBranchOfAnIfElifElseChain) {
  EXPECT_EQ(run_with(k_chain, 1), (std::vector<std::string>{"SELECT 'one'", "SELECT 'after'"}));
  EXPECT_EQ(run_with(k_chain, 2), (std::vector<std::string>{"SELECT 'two'", "SELECT 'after'"}));
  EXPECT_EQ(run_with(k_chain, 3),
            (std::vector<std::string>{"SELECT 'three, scale'", "SELECT 'after'"}));
  EXPECT_EQ(run_with(k_chain, 9), (std::vector<std::string>{"SELECT 'other'", "SELECT 'after'"}));
}

TEST(ScriptConditionalTest, AnIfWithoutElseSkipsToItsEndif) {
  constexpr std::string_view text = "\\if :x\nSELECT 'in';\n\\endif\nSELECT 'out';\n";
  EXPECT_EQ(run_with(text, 0), (std::vector<std::string>{"SELECT 'out'"}));
  EXPECT_EQ(run_with(text, 5), (std::vector<std::string>{"SELECT 'in'", "SELECT 'out'"}));
}

TEST(ScriptConditionalTest, TruthIsPgbenchs) {
  // NULL, false, 0 and 0.0 are false; any other number and true are true.
  const Script script = parse_script(
      "\\if NULL\nSELECT 'null';\n\\endif\n\\if 0.0\nSELECT 'zero';\n\\endif\n"
      "\\if 0.5\nSELECT 'half';\n\\endif\n\\if -1\nSELECT 'minus';\n\\endif\n"
      "\\if 1 < 2\nSELECT 'less';\n\\endif\n",
      k_control_where);
  ClientState state(ClientParams{}, script.slot_count());
  EXPECT_EQ(statements_run(script, state),
            (std::vector<std::string>{"SELECT 'half'", "SELECT 'minus'", "SELECT 'less'"}));
}

TEST(ScriptConditionalTest, AConditionThatFailsIsARunTimeErrorNamingTheLine) {
  const Script script =
      parse_script("\\set x 0\n\\if 1 / :x\nSELECT 1;\n\\endif\n", k_control_where);
  ClientState state(ClientParams{}, script.slot_count());
  ASSERT_TRUE(execute_set(std::get<SetCommand>(script.commands()[0]), state));
  bool taken = false;
  EXPECT_FALSE(evaluate_condition(std::get<IfCommand>(script.commands()[1]), state, taken));
  EXPECT_NE(state.error().find("\\if (line 2): division by zero"), std::string::npos)
      << state.error();
}

TEST(ScriptConditionalTest, UnbalancedBlocksAreLoadErrorsWithFileAndLine) {
  EXPECT_NE(control_load_error("SELECT 1;\n\\if 1\nSELECT 2;\n")
                .find("scenarios/test.yaml:11:1: transaction \"t\": \\if without matching \\endif"),
            std::string::npos);
  EXPECT_NE(control_load_error("SELECT 1;\n\\endif\n")
                .find("test.yaml:11:1: transaction \"t\": \\endif "
                      "without matching \\if"),
            std::string::npos);
  EXPECT_NE(control_load_error("\\else\nSELECT 1;\n").find("test.yaml:10:1:"), std::string::npos);
  EXPECT_NE(control_load_error("\\elif 1\nSELECT 1;\n").find("\\elif without matching \\if"),
            std::string::npos);
  EXPECT_NE(control_load_error("\\if 1\n\\else\n\\elif 2\n\\endif\n")
                .find("test.yaml:12:1: transaction "
                      "\"t\": \\elif after \\else"),
            std::string::npos);
  EXPECT_NE(control_load_error("\\if 1\n\\else\n\\else\n\\endif\n").find("\\else after \\else"),
            std::string::npos);
  EXPECT_NE(control_load_error("\\if\nSELECT 1;\n\\endif\n").find("\\if: missing expression"),
            std::string::npos);
  EXPECT_NE(
      control_load_error("\\if 1\nSELECT 1;\n\\endif now\n").find("\\endif: unexpected argument"),
      std::string::npos);
  EXPECT_NE(control_load_error("\\if rnadom(1, 2)\nSELECT 1;\n\\endif\n")
                .find("\\if: unknown function \"rnadom\" (did you mean random?)"),
            std::string::npos);
}

TEST(ScriptCaptureTest, GsetAndAsetEndTheStatementBeforeThem) {
  const Script script =
      parse_script("SELECT 1 AS one \\gset\nSELECT 2 AS two;\n\\aset p_\nSELECT :one + :p_two;\n",
                   k_control_where);
  const auto& first = std::get<SqlCommand>(script.commands().at(0));
  const auto& second = std::get<SqlCommand>(script.commands().at(1));
  EXPECT_EQ(first.capture, Capture::gset);
  EXPECT_EQ(first.capture_prefix, "");
  EXPECT_EQ(second.capture, Capture::aset);
  EXPECT_EQ(second.capture_prefix, "p_");
  // Variables a result may set are resolved to slots after a \gset: they start unset.
  ClientState state(ClientParams{}, script.slot_count());
  const auto one = script.slot_of("one");
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(state.kind(*one), SlotKind::unset);
}

TEST(ScriptCaptureTest, GsetMustFollowAStatement) {
  EXPECT_NE(control_load_error("\\set x 1\n\\gset\n")
                .find("test.yaml:11:1: transaction \"t\": \\gset "
                      "must follow an SQL statement"),
            std::string::npos);
  EXPECT_NE(control_load_error("\\gset\n").find("\\gset must follow an SQL statement"),
            std::string::npos);
  EXPECT_NE(
      control_load_error("SELECT 1 \\gset\n\\aset\n").find("\\aset must follow an SQL statement"),
      std::string::npos);
  EXPECT_NE(control_load_error("SELECT 1 \\gset a b\n").find("\\gset: too many arguments"),
            std::string::npos);
  EXPECT_NE(
      control_load_error("SELECT 1 \\gset a-b\n").find("\\gset: invalid variable prefix \"a-b\""),
      std::string::npos);
}

TEST(ScriptCaptureTest, WithoutGsetAnUndefinedVariableIsStillALoadError) {
  EXPECT_NE(control_load_error("SELECT :one;\nSELECT 1 AS one \\gset\n")
                .find("variable \":one\" is used but neither predefined nor \\set"),
            std::string::npos);
}

TEST(ScriptCaptureTest, StoredTextsAreSentAsTheyCameAndReadAsPgbenchReadsThem) {
  const Script script = parse_script(
      "SELECT 1 AS a, 2 AS b \\gset\nSELECT :a, :b;\n\\set c :a + 1\n", k_control_where);
  ClientState state(ClientParams{}, script.slot_count());
  state.set_names(script.variable_names());
  state.set_text(*script.slot_of("a"), "007");
  state.set_text(*script.slot_of("b"), "hello");
  ParamValues params;
  ASSERT_TRUE(params.render(std::get<SqlCommand>(script.commands()[1]), state));
  EXPECT_EQ(params.value(0), "007");
  EXPECT_EQ(params.value(1), "hello");
  ASSERT_TRUE(execute_set(std::get<SetCommand>(script.commands()[2]), state)) << state.error();
  EXPECT_EQ(state.variable(*script.slot_of("c")).as_integer(), 8);
  // A text that is no number cannot be computed with.
  state.set_text(*script.slot_of("a"), "hello");
  EXPECT_FALSE(execute_set(std::get<SetCommand>(script.commands()[2]), state));
  EXPECT_NE(state.error().find("malformed variable \":a\" value: \"hello\""), std::string::npos)
      << state.error();
}

TEST(ScriptCaptureTest, AnUnsetVariableIsARunTimeErrorNotANull) {
  const Script script = parse_script("SELECT 1 AS a \\aset\nSELECT :a;\n", k_control_where);
  ClientState state(ClientParams{}, script.slot_count());
  state.set_names(script.variable_names());
  ParamValues params;
  EXPECT_FALSE(params.render(std::get<SqlCommand>(script.commands()[1]), state));
  EXPECT_NE(state.error().find("variable \":a\" is not set"), std::string::npos) << state.error();
}

TEST(ScriptValueTest, TextToValueFollowsPgbench) {
  Value v;
  ASSERT_TRUE(text_to_value("42", v));
  EXPECT_EQ(v.as_integer(), 42);
  ASSERT_TRUE(text_to_value(" -7 ", v));
  EXPECT_EQ(v.as_integer(), -7);
  ASSERT_TRUE(text_to_value("2.5", v));
  EXPECT_DOUBLE_EQ(v.as_real(), 2.5);
  ASSERT_TRUE(text_to_value("NULL", v));
  EXPECT_TRUE(v.is_null());
  for (const char* t : {"t", "TRUE", "ye", "on"}) {
    ASSERT_TRUE(text_to_value(t, v)) << t;
    EXPECT_TRUE(v.as_boolean()) << t;
  }
  for (const char* f : {"f", "False", "n", "off", "of"}) {
    ASSERT_TRUE(text_to_value(f, v)) << f;
    EXPECT_FALSE(v.as_boolean()) << f;
  }
  EXPECT_FALSE(text_to_value("", v));
  EXPECT_FALSE(text_to_value("o", v));
  EXPECT_FALSE(text_to_value("12abc", v));
  EXPECT_FALSE(text_to_value("99999999999999999999", v));
}

TEST(ScriptCompoundTest, BackslashSemicolonJoinsStatementsSentWithTheirValues) {
  const Script script =
      parse_script("\\set n 5\nSELECT :n AS a \\; SELECT 'x' || :n AS b \\aset\n", k_control_where);
  const auto& sql = std::get<SqlCommand>(script.commands().at(1));
  EXPECT_TRUE(sql.compound);
  EXPECT_EQ(sql.capture, Capture::aset);
  ClientState state(ClientParams{}, script.slot_count());
  ASSERT_TRUE(execute_set(std::get<SetCommand>(script.commands()[0]), state));
  std::string text;
  ASSERT_TRUE(render_simple(sql, state, text));
  EXPECT_EQ(text, "SELECT 5 AS a ; SELECT 'x' || 5 AS b");
  // Without \; the `;` ends the statement.
  EXPECT_FALSE(
      std::get<SqlCommand>(parse_script("SELECT 1;", k_control_where).commands()[0]).compound);
}

TEST(ScriptQuotingTest, PsqlQuotingFormsAreRefusedWithTheReason) {
  const std::string literal = control_load_error("\\set n 1\nSELECT :'n';\n");
  EXPECT_NE(literal.find("test.yaml:11:8: transaction \"t\": :'n' is psql's quoting form, which "
                         "pgbench does not interpolate"),
            std::string::npos)
      << literal;
  EXPECT_NE(control_load_error("\\set n 1\nSELECT :\"n\";\n").find(":\"n\" is psql's quoting form"),
            std::string::npos);
  // Inside a string literal it is text, as any colon there.
  EXPECT_NO_THROW(parse_script("SELECT ':''n''';\n", k_control_where));
}

TEST(ScriptShellTest, ShellCommandsAreRefusedSayingWhy) {
  const std::string shell = control_load_error("\\setshell x echo 1\nSELECT 1;\n");
  EXPECT_NE(shell.find("test.yaml:10:1: transaction \"t\": \\setshell is not supported by "
                       "poolbench: it runs a shell command in every request"),
            std::string::npos)
      << shell;
  EXPECT_NE(control_load_error("\\shell ls\nSELECT 1;\n").find("\\shell is not supported"),
            std::string::npos);
}

}  // namespace
}  // namespace poolbench::script
