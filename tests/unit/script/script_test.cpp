// Script parsing (statement splitting, variables to parameters, backslash commands, load-time
// errors) and the run-time steps the generator uses.

#include "script/script.hpp"

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "script/script_builtin.hpp"
#include "script/script_runtime.hpp"
#include "script/script_scanner.hpp"
#include "util/error.hpp"

namespace poolbench::script {
namespace {

using std::chrono::microseconds;

const SourceLocation k_where{"scenarios/test.yaml", "point_read", 20, 6};

Script parse(std::string_view text) {
  return parse_script(text, k_where);
}

/// The message of the InputError parsing `text` throws.
std::string load_error(std::string_view text) {
  try {
    parse(text);
  } catch (const InputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error for: " << text;
  return {};
}

std::vector<std::string> statements(std::string_view text) {
  std::vector<std::string> result;
  for (const ScannedItem& item : scan_script(text)) {
    if (item.kind == ScannedItem::Kind::sql) result.push_back(item.text);
  }
  return result;
}

const SqlCommand& sql_at(const Script& script, std::size_t i) {
  return std::get<SqlCommand>(script.commands().at(i));
}

TEST(ScriptScanTest, SplitsStatementsAtSemicolons) {
  EXPECT_EQ(statements("SELECT 1; SELECT 2;\nSELECT 3"),
            (std::vector<std::string>{"SELECT 1", "SELECT 2", "SELECT 3"}));
  EXPECT_EQ(statements(";;  ;\n"), std::vector<std::string>{});
}

TEST(ScriptScanTest, KeepsSemicolonsInsideQuotesAndParentheses) {
  EXPECT_EQ(statements("SELECT 'a;b', \"c;d\"; SELECT 'it''s;'"),
            (std::vector<std::string>{"SELECT 'a;b', \"c;d\"", "SELECT 'it''s;'"}));
  EXPECT_EQ(statements("SELECT E'x\\';y'; SELECT 2"),
            (std::vector<std::string>{"SELECT E'x\\';y'", "SELECT 2"}));
  // Without E, a backslash is an ordinary character (standard_conforming_strings).
  EXPECT_EQ(statements("SELECT 'x\\'; SELECT 2"),
            (std::vector<std::string>{"SELECT 'x\\'", "SELECT 2"}));
  EXPECT_EQ(statements("CREATE RULE r AS ON INSERT TO t DO (SELECT 1; SELECT 2); SELECT 3"),
            (std::vector<std::string>{"CREATE RULE r AS ON INSERT TO t DO (SELECT 1; SELECT 2)",
                                      "SELECT 3"}));
}

TEST(ScriptScanTest, KeepsDollarQuotedBodiesWhole) {
  const std::string body = "DO $$ BEGIN PERFORM 1; PERFORM 2; END $$";
  EXPECT_EQ(statements(body + "; SELECT 1"), (std::vector<std::string>{body, "SELECT 1"}));
  const std::string tagged = "SELECT $fn$ a; $$ b; $fn$";
  EXPECT_EQ(statements(tagged + ";SELECT 2"), (std::vector<std::string>{tagged, "SELECT 2"}));
  // $1 and identifiers containing $ are not dollar quotes.
  EXPECT_EQ(statements("SELECT $1; SELECT a$b$ FROM t; SELECT 3"),
            (std::vector<std::string>{"SELECT $1", "SELECT a$b$ FROM t", "SELECT 3"}));
}

TEST(ScriptScanTest, SkipsCommentsAndKeepsNestedBlockCommentsWhole) {
  EXPECT_EQ(
      statements("-- leading; comment\nSELECT 1; -- trailing; one\n/* a; /* b; */ c; */ SELECT 2;"),
      (std::vector<std::string>{"SELECT 1", "SELECT 2"}));
  EXPECT_EQ(statements("SELECT 1 -- x; y\n + 1;"),
            (std::vector<std::string>{"SELECT 1 -- x; y\n + 1"}));
}

TEST(ScriptScanTest, CastsAreNotVariables) {
  const auto items = scan_script("SELECT :a::int, 'x'::text, :b, ':c', \":d\" -- :e\n, arr[1:2]");
  ASSERT_EQ(items.size(), 1u);
  ASSERT_EQ(items[0].variables.size(), 2u);
  EXPECT_EQ(items[0].variables[0].name, "a");
  EXPECT_EQ(items[0].variables[1].name, "b");
}

TEST(ScriptScanTest, AnErrorInALongLineShowsThePartAroundItsColumn) {
  // 200 characters, the error at column 150 of the script line: 60 before it, 40 after,
  // "..." where the line was cut, and the caret under the offending character.
  const std::string line = "SELECT " + std::string(142, 'a') + "'" + std::string(50, 'b');
  const std::string shown = "..." + std::string(60, 'a') + "'" + std::string(39, 'b') + "...";
  const std::string caret = std::string(63, ' ') + "^";
  EXPECT_EQ(load_error(line),
            "scenarios/test.yaml:20:156: transaction \"point_read\": unterminated quoted string\n"
            "    " +
                shown + "\n    " + caret);
  // Cuts never split a UTF-8 character: here both would fall inside an "é" (2 bytes), so
  // the start moves past the first and the end past the second.
  const std::string accented = "SELECT " + std::string(10, 'a') + "é" + std::string(59, 'a') + "'" +
                               std::string(39, 'b') + "é" + std::string(20, 'c');
  const std::string excerpt = "\n    ..." + std::string(59, 'a') + "'" + std::string(39, 'b') +
                              "é...\n    " + std::string(62, ' ') + "^";
  const std::string message = load_error(accented);
  EXPECT_EQ(message.substr(message.find('\n')), excerpt) << message;
}

TEST(ScriptScanTest, UnterminatedQuotesAreErrorsAtTheirStart) {
  EXPECT_EQ(load_error("SELECT 1;\nSELECT 'abc;\n"),
            "scenarios/test.yaml:21:14: transaction \"point_read\": unterminated quoted string\n"
            "    SELECT 'abc;\n"
            "           ^");
  EXPECT_NE(load_error("SELECT $x$ abc")
                .find(":20:14: transaction \"point_read\": unterminated "
                      "dollar-quoted string (no closing $x$)"),
            std::string::npos);
  EXPECT_NE(load_error("SELECT /* a /* b */").find("unterminated /* comment"), std::string::npos);
  EXPECT_NE(load_error("SELECT \"abc").find("unterminated quoted identifier"), std::string::npos);
}

TEST(ScriptTest, VariablesBecomeParametersInOrder) {
  const Script script = parse(
      "\\set aid random(1, 10)\n\\set delta 5\n"
      "UPDATE t SET v = v + :delta WHERE id = :aid AND x = ':aid' RETURNING :delta::int;");
  const SqlCommand& sql = sql_at(script, 2);
  EXPECT_EQ(sql.text, "UPDATE t SET v = v + $1 WHERE id = $2 AND x = ':aid' RETURNING $3::int");
  EXPECT_EQ(sql.source_text,
            "UPDATE t SET v = v + :delta WHERE id = :aid AND x = ':aid' RETURNING :delta::int");
  const auto delta = *script.slot_of("delta");
  const auto aid = *script.slot_of("aid");
  EXPECT_EQ(sql.param_slots, (std::vector<std::uint32_t>{delta, aid, delta}));
  EXPECT_EQ(sql.line, 3);
}

TEST(ScriptTest, PredefinedVariablesAreUsableWithoutSet) {
  const Script script = parse("SELECT :scale, :client_id, :default_seed, :random_seed;");
  EXPECT_EQ(sql_at(script, 0).param_slots,
            (std::vector<std::uint32_t>{k_slot_scale, k_slot_client_id, k_slot_default_seed,
                                        k_slot_random_seed}));
  ClientState state(ClientParams{4, 10, 1234, 99, 1}, script.slot_count());
  ParamValues params;
  params.render(sql_at(script, 0), state);
  ASSERT_EQ(params.count(), 4);
  EXPECT_EQ(params.value(0), "10");
  EXPECT_EQ(params.value(1), "4");
  EXPECT_EQ(params.value(2), "1234");
  EXPECT_EQ(params.value(3), "99");
}

TEST(ScriptTest, RecognisesTransactionControl) {
  const Script script = parse(
      "BEGIN; START TRANSACTION ISOLATION LEVEL SERIALIZABLE; SELECT 1; COMMIT; end;\n"
      "rollback; ABORT; ROLLBACK TO SAVEPOINT s; COMMIT AND CHAIN; COMMIT PREPARED 'x';\n"
      "PREPARE TRANSACTION 'x'; begin work; COMMIT WORK; /* c */ commit");
  const std::vector<std::pair<bool, bool>> expected = {
      {true, false}, {true, false}, {false, false}, {false, true},  {false, true},
      {false, true}, {false, true}, {false, false}, {false, false}, {false, false},
      {false, true}, {true, false}, {false, true},  {false, true}};
  ASSERT_EQ(script.commands().size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(sql_at(script, i).is_begin, expected[i].first) << sql_at(script, i).source_text;
    EXPECT_EQ(sql_at(script, i).is_commit, expected[i].second) << sql_at(script, i).source_text;
  }
}

TEST(ScriptTest, PreparedStatementNamesAreUniquePerScript) {
  const Script a = parse("SELECT 1; SELECT 2;");
  EXPECT_NE(sql_at(a, 0).prepared_name, sql_at(a, 1).prepared_name);
  const Script b = parse_script("SELECT 1;", SourceLocation{"f", "other", 1, 0});
  EXPECT_NE(sql_at(a, 0).prepared_name, sql_at(b, 0).prepared_name);
  const Script c = parse_script("SELECT 1;", k_where, ScriptOptions{"t3"});
  EXPECT_EQ(sql_at(c, 0).prepared_name, "t3_1");
  EXPECT_LE(sql_at(a, 0).prepared_name.size(), 63u);
}

TEST(ScriptTest, BackslashCommandEndsAPendingStatement) {
  const Script script = parse("SELECT 1\n\\set x 2\nSELECT :x");
  ASSERT_EQ(script.commands().size(), 3u);
  EXPECT_EQ(sql_at(script, 0).text, "SELECT 1");
  EXPECT_EQ(sql_at(script, 2).text, "SELECT $1");
}

TEST(ScriptTest, SetExpressionsMayContinueOverLines) {
  const Script script = parse("\\set x 1 + \\\n   2 * 3\nSELECT :x;");
  ClientState state(ClientParams{}, script.slot_count());
  ASSERT_TRUE(execute_set(std::get<SetCommand>(script.commands()[0]), state));
  EXPECT_EQ(state.variable(*script.slot_of("x")).as_integer(), 7);
}

TEST(ScriptTest, SetCanRedefineAVariableFromItsOldValue) {
  const Script script = parse("\\set x 1\n\\set x :x + 1\n\\set scale :scale * 2");
  ClientState state(ClientParams{0, 5, 0, 0, 1}, script.slot_count());
  for (const Command& command : script.commands()) {
    ASSERT_TRUE(execute_set(std::get<SetCommand>(command), state)) << state.error();
  }
  EXPECT_EQ(state.variable(*script.slot_of("x")).as_integer(), 2);
  EXPECT_EQ(state.variable(k_slot_scale).as_integer(), 10);
  EXPECT_EQ(script.slot_count(), 5u);  // 4 predefined + x
}

TEST(ScriptTest, RunTimeErrorsNameTheCommand) {
  const Script script = parse("\\set zero 0\n\\set q 1 / :zero");
  ClientState state(ClientParams{}, script.slot_count());
  ASSERT_TRUE(execute_set(std::get<SetCommand>(script.commands()[0]), state));
  EXPECT_FALSE(execute_set(std::get<SetCommand>(script.commands()[1]), state));
  EXPECT_EQ(state.error(), "\\set q (line 2): division by zero");
}

TEST(ScriptTest, SleepAcceptsUnitsAndVariables) {
  const Script script = parse(
      "\\sleep 2\n\\sleep 10ms\n\\sleep 5 us\n\\sleep 3 S\n\\set d 250\n\\sleep :d ms\n"
      "\\set neg -4\n\\sleep :neg\n\\set half 2.7\n\\sleep :half s");
  ClientState state(ClientParams{}, script.slot_count());
  std::vector<microseconds> durations;
  for (const Command& command : script.commands()) {
    if (const auto* set = std::get_if<SetCommand>(&command)) {
      ASSERT_TRUE(execute_set(*set, state));
    } else {
      microseconds d{};
      ASSERT_TRUE(sleep_duration(std::get<SleepCommand>(command), state, d)) << state.error();
      durations.push_back(d);
    }
  }
  EXPECT_EQ(durations, (std::vector<microseconds>{microseconds(2'000'000), microseconds(10'000),
                                                  microseconds(5), microseconds(3'000'000),
                                                  microseconds(250'000), microseconds(0),
                                                  microseconds(2'000'000)}));
}

TEST(ScriptTest, SleepOnANonNumberIsARunTimeError) {
  const Script script = parse("\\set b true\n\\sleep :b ms");
  ClientState state(ClientParams{}, script.slot_count());
  ASSERT_TRUE(execute_set(std::get<SetCommand>(script.commands()[0]), state));
  microseconds d{};
  EXPECT_FALSE(sleep_duration(std::get<SleepCommand>(script.commands()[1]), state, d));
  EXPECT_EQ(state.error(), "\\sleep (line 2): variable \":b\" is true, not an integer");
}

TEST(ScriptTest, ParametersRenderAsPgbenchPrintsThem) {
  const Script script = parse(
      "\\set i -42\n\\set d 1.0 / 3\n\\set b 1 < 2\n\\set n NULL\n\\set big 1e20\n"
      "SELECT :i, :d, :b, :n, :big, :i;");
  ClientState state(ClientParams{}, script.slot_count());
  for (std::size_t i = 0; i < 5; ++i) {
    ASSERT_TRUE(execute_set(std::get<SetCommand>(script.commands()[i]), state));
  }
  ParamValues params;
  for (int round = 0; round < 2; ++round) {  // reuse keeps the same results
    params.render(sql_at(script, 5), state);
    ASSERT_EQ(params.count(), 6);
    EXPECT_EQ(params.value(0), "-42");
    EXPECT_EQ(params.value(1), "0.333333333333333");
    EXPECT_EQ(params.value(2), "true");
    EXPECT_TRUE(params.is_null(3));
    EXPECT_EQ(params.values()[3], nullptr);
    EXPECT_EQ(params.value(4), "1e+20");
    EXPECT_EQ(params.value(5), "-42");
  }
  EXPECT_EQ(value_to_text(Value::null()), "NULL");
}

TEST(ScriptTest, StatementsWithoutParametersRenderNothing) {
  const Script script = parse("SELECT 1;");
  ClientState state(ClientParams{}, script.slot_count());
  ParamValues params;
  params.render(sql_at(script, 0), state);
  EXPECT_EQ(params.count(), 0);
  EXPECT_EQ(params.values(), nullptr);
}

TEST(ScriptErrorTest, UndefinedVariableInSqlNamesFileTransactionLineAndColumn) {
  EXPECT_EQ(load_error("\\set aid 1\nSELECT * FROM t\n  WHERE id = :aidd;"),
            "scenarios/test.yaml:22:20: transaction \"point_read\": variable \":aidd\" is used but "
            "neither predefined nor \\set earlier in the script (did you mean \":aid\"?)\n"
            "      WHERE id = :aidd;\n"
            "                 ^");
}

TEST(ScriptErrorTest, AConstantExpressionThatAlwaysFailsIsALoadError) {
  EXPECT_EQ(load_error("\\set x random(10, 1)\nSELECT :x;"),
            "scenarios/test.yaml:20:14: transaction \"point_read\": \\set x: empty range given to "
            "random (the expression has no variable: it would fail on every run)\n"
            "    \\set x random(10, 1)\n"
            "           ^");
  EXPECT_NE(load_error("\\set x 9223372036854775807 + 1").find("bigint add out of range"),
            std::string::npos);
}

TEST(ScriptErrorTest, ExpressionsThatMayFailOnlyForSomeValuesAreLeftToRunTime) {
  // A variable, or a random draw that only sometimes divides by zero: not known at load time.
  EXPECT_EQ(parse("\\set q 1 / (:scale - 1)").commands().size(), 1u);
  EXPECT_EQ(parse("\\set q 10 / random(0, 1)").commands().size(), 1u);
}

TEST(ScriptErrorTest, AScriptWithoutCommandsIsALoadError) {
  EXPECT_NE(
      load_error("-- only a comment\n")
          .find("scenarios/test.yaml:20:7: transaction \"point_read\": the script has no commands"),
      std::string::npos);
  EXPECT_NE(load_error("").find("the script has no commands"), std::string::npos);
}

TEST(ScriptErrorTest, VariableSetLaterIsStillAnError) {
  const std::string message = load_error("SELECT :x;\n\\set x 1");
  EXPECT_NE(message.find("scenarios/test.yaml:20:14: transaction \"point_read\": variable \":x\""),
            std::string::npos)
      << message;
}

TEST(ScriptErrorTest, UndefinedVariableInAnExpression) {
  const std::string message = load_error("\\set a 1\n\\set b :a + :c");
  EXPECT_NE(message.find("scenarios/test.yaml:21:19: transaction \"point_read\": \\set b: variable "
                         "\":c\" is used but neither predefined nor \\set earlier"),
            std::string::npos)
      << message;
}

TEST(ScriptErrorTest, SelfReferenceBeforeFirstSetIsAnError) {
  EXPECT_NE(load_error("\\set x :x + 1").find("variable \":x\" is used but"), std::string::npos);
}

TEST(ScriptErrorTest, UndefinedVariableInSleep) {
  const std::string message = load_error("\\sleep :pause ms");
  EXPECT_NE(message.find(":20:14: transaction \"point_read\": \\sleep: variable \":pause\""),
            std::string::npos)
      << message;
}

TEST(ScriptErrorTest, UnknownFunctionSuggestsTheClosestName) {
  EXPECT_EQ(load_error("\\set aid randon(1, 100000 * :scale)"),
            "scenarios/test.yaml:20:16: transaction \"point_read\": \\set aid: unknown function "
            "\"randon\" (did you mean random?)\n"
            "    \\set aid randon(1, 100000 * :scale)\n"
            "             ^");
  EXPECT_NE(load_error("\\set x random_gausian(1, 2, 3)").find("(did you mean random_gaussian?)"),
            std::string::npos);
}

TEST(ScriptErrorTest, WrongArityAndSyntaxErrorsCarryTheColumn) {
  EXPECT_NE(load_error("\n\\set x random(1)")
                .find("scenarios/test.yaml:21:14: transaction \"point_read\": \\set x: wrong "
                      "number of arguments for random(): expected 2, got 1"),
            std::string::npos);
  EXPECT_NE(load_error("\\set x 1 +* 2")
                .find(":20:17: transaction \"point_read\": \\set x: "
                      "syntax error at \"*\""),
            std::string::npos);
  EXPECT_NE(load_error("\\set x (1 + 2")
                .find(":20:20: transaction \"point_read\": \\set x: "
                      "expected \")\" before the end of the expression"),
            std::string::npos);
}

TEST(ScriptErrorTest, SetNeedsAValidNameAndAnExpression) {
  EXPECT_NE(load_error("\\set").find(":20:7: transaction \"point_read\": \\set: missing variable "
                                     "name and expression"),
            std::string::npos);
  EXPECT_NE(load_error("\\set x").find("\\set x: missing expression"), std::string::npos);
  EXPECT_NE(load_error("\\set 1x 2")
                .find(":20:12: transaction \"point_read\": \\set: invalid "
                      "variable name \"1x\""),
            std::string::npos);
}

TEST(ScriptErrorTest, SleepArgumentsAreChecked) {
  EXPECT_NE(load_error("\\sleep").find("\\sleep: missing argument"), std::string::npos);
  EXPECT_NE(load_error("\\sleep 1 ms 2")
                .find(":20:19: transaction \"point_read\": \\sleep: too "
                      "many arguments"),
            std::string::npos);
  EXPECT_NE(load_error("\\sleep 10 min")
                .find(":20:17: transaction \"point_read\": \\sleep: "
                      "unrecognized time unit \"min\", must be us, ms or s"),
            std::string::npos);
  EXPECT_NE(load_error("\\sleep 10m").find("unrecognized time unit \"m\""), std::string::npos);
  EXPECT_NE(load_error("\\sleep abc").find("\\sleep: invalid sleep time, must be an integer"),
            std::string::npos);
}

TEST(ScriptErrorTest, UnsupportedAndUnknownCommandsAreNamed) {
  EXPECT_EQ(load_error("SELECT abalance FROM t;\n\\startpipeline"),
            "scenarios/test.yaml:21:7: transaction \"point_read\": \\startpipeline is not "
            "supported by poolbench (pgbench's pipeline mode)\n"
            "    \\startpipeline\n"
            "    ^");
  EXPECT_NE(load_error("\\shell ls").find("\\shell is not supported"), std::string::npos);
  EXPECT_NE(load_error("\\sett x 1")
                .find(":20:7: transaction \"point_read\": unknown command "
                      "\\sett (did you mean \\set?)"),
            std::string::npos);
}

TEST(ScriptErrorTest, WithoutFileOrTransactionTheMessageStillHasALine) {
  try {
    parse_script("\\set x :y", SourceLocation{});
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("script:1:8: \\set x: variable \":y\"", 0), 0u)
        << e.what();
    EXPECT_EQ(e.exit_code(), ExitCode::bad_input);
  }
}

TEST(BuiltinScriptTest, TpcbLikeParsesToPgbenchsTransaction) {
  const Script script = parse(k_builtin_tpcb_like);
  ASSERT_EQ(script.commands().size(), 11u);
  for (std::size_t i = 0; i < 4; ++i)
    EXPECT_TRUE(std::holds_alternative<SetCommand>(script.commands()[i]));
  EXPECT_TRUE(sql_at(script, 4).is_begin);
  EXPECT_TRUE(sql_at(script, 10).is_commit);
  EXPECT_EQ(sql_at(script, 5).text,
            "UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2");
  EXPECT_EQ(sql_at(script, 9).text,
            "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES ($1, $2, $3, $4, "
            "CURRENT_TIMESTAMP)");
  const auto slot = [&](const char* name) { return *script.slot_of(name); };
  EXPECT_EQ(sql_at(script, 9).param_slots,
            (std::vector<std::uint32_t>{slot("tid"), slot("bid"), slot("aid"), slot("delta")}));

  ClientState state(ClientParams{0, 3, 0, 0, 7}, script.slot_count());
  for (int round = 0; round < 1000; ++round) {
    for (std::size_t i = 0; i < 4; ++i) {
      ASSERT_TRUE(execute_set(std::get<SetCommand>(script.commands()[i]), state));
    }
    const auto in = [&](const char* name, std::int64_t lo, std::int64_t hi) {
      const std::int64_t v = state.variable(slot(name)).as_integer();
      return v >= lo && v <= hi;
    };
    ASSERT_TRUE(in("aid", 1, 300000));
    ASSERT_TRUE(in("bid", 1, 3));
    ASSERT_TRUE(in("tid", 1, 30));
    ASSERT_TRUE(in("delta", -5000, 5000));
  }
}

TEST(BuiltinScriptTest, SelectOnlyAndSimpleUpdateParse) {
  const Script select = parse(k_builtin_select_only);
  ASSERT_EQ(select.commands().size(), 2u);
  EXPECT_EQ(sql_at(select, 1).text, "SELECT abalance FROM pgbench_accounts WHERE aid = $1");
  EXPECT_FALSE(sql_at(select, 1).is_begin);
  const Script update = parse(k_builtin_simple_update);
  EXPECT_EQ(update.commands().size(), 9u);
}

}  // namespace
}  // namespace poolbench::script
