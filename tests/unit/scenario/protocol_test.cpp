// workload.protocol (pgbench's -M): its values, its default, where a bad value is reported,
// and how results.json records it.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "scenario/scenario.hpp"
#include "unit/scenario/error_of.hpp"
#include "util/error.hpp"

namespace poolbench::scenario {
namespace {

const std::string k_protocol_head = "name: x\ntransactions: [{name: t, script: 'SELECT 1;'}]\n";

TEST(Protocol, DefaultsToPreparedAsPgbenchWithoutDashM) {
  const Scenario s = parse_scenario(k_protocol_head, "x.yaml");
  EXPECT_EQ(s.workload.protocol, QueryProtocol::prepared);
  EXPECT_EQ(to_json(s)["workload"]["protocol"], "prepared");
}

TEST(Protocol, EachValueIsReadFromTheFileAndFromSet) {
  for (const auto& [text, protocol] :
       {std::pair{"simple", QueryProtocol::simple}, std::pair{"extended", QueryProtocol::extended},
        std::pair{"prepared", QueryProtocol::prepared}}) {
    const Scenario from_file =
        parse_scenario(k_protocol_head + "workload:\n  protocol: " + text + "\n", "x.yaml");
    EXPECT_EQ(from_file.workload.protocol, protocol) << text;
    EXPECT_EQ(to_string(protocol), text);
    EXPECT_EQ(to_json(from_file)["workload"]["protocol"], text);
    const Scenario from_set =
        parse_scenario(k_protocol_head, "x.yaml", {std::string("workload.protocol=") + text});
    EXPECT_EQ(from_set.workload.protocol, protocol) << text;
    EXPECT_EQ(from_set.origins.at("workload.protocol").to_string(),
              std::string("--set workload.protocol=") + text);
  }
}

TEST(Protocol, ABadValueNamesFileLineKeyAndTheValues) {
  EXPECT_EQ(error_of(k_protocol_head + "workload:\n  protocol: extnded\n"),
            "bad.yaml:4:13: workload.protocol: 'extnded' is not valid (expected simple, "
            "extended or prepared)");
  EXPECT_EQ(error_of(k_protocol_head, {"workload.protocol=Simple"}),
            "--set workload.protocol=Simple: workload.protocol: 'Simple' is not valid (expected "
            "simple, extended or prepared)");
}

TEST(Protocol, IsAMatrixAxisCheckedValueByValue) {
  const Scenario s = parse_scenario(
      k_protocol_head + "matrix:\n  workload.protocol: [simple, extended, prepared]\n", "x.yaml");
  ASSERT_EQ(s.matrix.size(), 1U);
  EXPECT_EQ(s.matrix[0].key, "workload.protocol");
  EXPECT_THAT(s.matrix[0].values, ::testing::ElementsAre("simple", "extended", "prepared"));
  EXPECT_EQ(error_of(k_protocol_head + "matrix:\n  workload.protocol: [simple, pipelined]\n"),
            "bad.yaml:4:31: workload.protocol: 'pipelined' is not valid (expected simple, "
            "extended or prepared)");
}

TEST(Protocol, AReplayRefusesItSinceATraceIsSentAsCaptured) {
  const std::string replay =
      "name: x\nworkload:\n  mode: replay\n  protocol: simple\nreplay: {trace: t.jsonl.gz}\n";
  EXPECT_THAT(error_of(replay),
              ::testing::StartsWith("bad.yaml:4:13: workload.protocol: not used by "
                                    "workload.mode: replay"));
}

}  // namespace
}  // namespace poolbench::scenario
