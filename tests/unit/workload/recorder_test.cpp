// The worker's recorder: how busy its thread was on a CPU, when one loop turn outlasts the
// measurement window.

#include "workload/recorder.hpp"

#include <chrono>
#include <cstdint>
#include <thread>

#include <gtest/gtest.h>

namespace poolbench::workload {
namespace {

using namespace std::chrono_literals;
using Clock = Recorder::Clock;

/// Keeps the calling thread on a CPU for `span` of wall time.
void spin_for(Clock::duration span) {
  const auto until = Clock::now() + span;
  volatile std::uint64_t sink = 0;
  while (Clock::now() < until) sink = sink + 1;
}

TEST(RecorderCpu, ATurnThatOutlastsTheWindowIsNeverMoreThanOneCpuBusy) {
  // A 20 ms window whose closing reading comes only after 200 ms of inline work (a worker
  // running requests without I/O): the thread was at most fully busy, not ten times.
  const auto start = Clock::now();
  const auto end = start + 20ms;
  Recorder recorder(start);
  recorder.observe_cpu(start, end);
  spin_for(200ms);
  recorder.observe_cpu(Clock::now(), end);
  EXPECT_GT(recorder.cpu_measured_s(), 0.0);
  EXPECT_GT(recorder.cpu_busy(), 0.0);
  EXPECT_LE(recorder.cpu_busy(), 1.05);  // CPU clock and wall clock read a few us apart
}

TEST(RecorderCpu, AnIdleThreadIsNearlyNeverBusy) {
  const auto start = Clock::now();
  Recorder recorder(start);
  recorder.observe_cpu(start, start + 50ms);
  std::this_thread::sleep_for(100ms);
  recorder.observe_cpu(Clock::now(), start + 50ms);
  EXPECT_LT(recorder.cpu_busy(), 0.5);
}

TEST(RecorderCpu, ALoopThatEndsBeforeTheWindowEndsClosesItInFinish) {
  const auto start = Clock::now();
  Recorder recorder(start);
  recorder.observe_cpu(start, start + 10s);
  spin_for(30ms);
  recorder.finish();
  EXPECT_GT(recorder.cpu_measured_s(), 0.0);
  EXPECT_LE(recorder.cpu_busy(), 1.05);
}

}  // namespace
}  // namespace poolbench::workload
