// Recovery of a fault computed from a hand-made per-second time series.

#include "faults/recovery.hpp"

#include <gtest/gtest.h>

namespace poolbench::faults {
namespace {

std::vector<workload::TimeseriesRow> series(const std::vector<std::int64_t>& completed) {
  std::vector<workload::TimeseriesRow> rows;
  for (std::size_t i = 0; i < completed.size(); ++i) {
    workload::TimeseriesRow row;
    row.t_s = static_cast<double>(i);
    row.completed = completed[i];
    rows.push_back(row);
  }
  return rows;
}

FaultRecord record(scenario::FaultKind kind, double start_s, double end_s) {
  FaultRecord r;
  r.fault.kind = kind;
  r.start_s = start_s;
  r.end_s = end_s;
  return r;
}

TEST(FaultRecovery, RecoveryCountsFromTheFaultsEndToTheFirstSecondBackWithinTenPercent) {
  // Baseline 100/s; a restart at 3.2 s, over at 3.6 s; 91/s counts as back (>= 90).
  auto rows = series({100, 100, 100, 20, 0, 50, 91, 100, 100});
  rows[3].errors = 7;
  rows[3].errors_by_sqlstate = {{"57P01", 5}, {"08006", 2}};
  rows[4].errors = 3;
  rows[4].errors_by_sqlstate = {{"57P03", 3}};
  rows[5].timeouts = 2;
  rows[7].errors = 99;  // after recovery: not this fault's
  FaultRecord r = record(scenario::FaultKind::restart, 3.2, 3.6);
  r.before.invalidations = 1;
  r.after.invalidations = 5;
  const auto out = fault_results({r}, rows);
  ASSERT_EQ(out.size(), 1u);
  const auto& f = out[0];
  EXPECT_EQ(f["kind"], "restart");
  EXPECT_DOUBLE_EQ(f["baseline_rps"].get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(f["recovery_threshold_rps"].get<double>(), 90.0);
  EXPECT_TRUE(f["recovered"].get<bool>());
  EXPECT_NEAR(f["recovery_s"].get<double>(), 6 - 3.6, 1e-9);
  EXPECT_NEAR(f["disrupted_s"].get<double>(), 6 - 3.2, 1e-9);
  EXPECT_EQ(f["errors"], 10);
  EXPECT_EQ(f["timeouts"], 2);
  EXPECT_EQ(f["errors_by_sqlstate"]["57P01"], 5);
  EXPECT_EQ(f["errors_by_sqlstate"]["57P03"], 3);
  EXPECT_EQ(f["lowest_rps"], 0);
  EXPECT_EQ(f["invalidations"], 4);
}

TEST(FaultRecovery, OnANoisyBaselineASecondAsFastAsTheSlowestBeforeTheFaultIsBack) {
  // Before the fault: 130, 70, 100 (mean 100); 90% of it is 90, the slowest second 70.
  // 75 (second 4) is back; 65 (second 3) is not.
  const auto out = fault_results({record(scenario::FaultKind::restart, 3.1, 3.5)},
                                 series({130, 70, 100, 65, 75, 100}));
  EXPECT_DOUBLE_EQ(out[0]["baseline_rps"].get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(out[0]["recovery_threshold_rps"].get<double>(), 70.0);
  EXPECT_TRUE(out[0]["recovered"].get<bool>());
  EXPECT_NEAR(out[0]["recovery_s"].get<double>(), 4 - 3.5, 1e-9);
}

TEST(FaultRecovery, AFaultThatNeverDentedThroughputRecoversAtOnce) {
  const auto out = fault_results({record(scenario::FaultKind::terminate_backends, 2.5, 2.51)},
                                 series({50, 50, 49, 50, 50}));
  EXPECT_TRUE(out[0]["recovered"].get<bool>());
  EXPECT_DOUBLE_EQ(out[0]["recovery_s"].get<double>(), 0.0);
}

TEST(FaultRecovery, NoRecoveryBeforeTheEndAndNoBaselineAreNull) {
  const auto never = fault_results({record(scenario::FaultKind::stall, 2.0, 3.0)},
                                   series({100, 100, 0, 10, 20, 30}));
  EXPECT_FALSE(never[0]["recovered"].get<bool>());
  EXPECT_TRUE(never[0]["recovery_s"].is_null());
  const auto at_start =
      fault_results({record(scenario::FaultKind::stall, 0.2, 1.0)}, series({0, 100, 100}));
  EXPECT_TRUE(at_start[0]["baseline_rps"].is_null());
  EXPECT_FALSE(at_start[0]["recovered"].get<bool>());
}

TEST(FaultRecovery, ABaselineUsesOnlySecondsNoEarlierFaultDisturbed) {
  // The first fault (at 1 s) is back at 3 s; the second's baseline is seconds 4-5 only
  // (second 3 belongs to the first fault's window), not the pre-fault 100s.
  const auto out = fault_results({record(scenario::FaultKind::terminate_backends, 1.1, 1.2),
                                  record(scenario::FaultKind::terminate_backends, 6.1, 6.2)},
                                 series({100, 10, 10, 95, 60, 60, 10, 60}));
  EXPECT_DOUBLE_EQ(out[1]["baseline_rps"].get<double>(), 60.0);
  EXPECT_NEAR(out[1]["recovery_s"].get<double>(), 7 - 6.2, 1e-9);
}

TEST(FaultRecovery, TheNextFaultEndsAWindowAndInheritsTheLevelToGetBackTo) {
  // The first fault never gets back before the second begins at 3 s; the second's baseline
  // is the first's (100), and its errors are its own.
  auto rows = series({100, 100, 20, 30, 20, 95, 100});
  rows[2].errors = 4;
  rows[4].errors = 6;
  const auto out = fault_results({record(scenario::FaultKind::terminate_backends, 2.0, 2.1),
                                  record(scenario::FaultKind::restart, 3.5, 3.9)},
                                 rows);
  EXPECT_FALSE(out[0]["recovered"].get<bool>());
  EXPECT_EQ(out[0]["errors"], 4);
  EXPECT_DOUBLE_EQ(out[1]["baseline_rps"].get<double>(), 100.0);
  EXPECT_NEAR(out[1]["recovery_s"].get<double>(), 5 - 3.9, 1e-9);
  EXPECT_EQ(out[1]["errors"], 6);
}

}  // namespace
}  // namespace poolbench::faults
