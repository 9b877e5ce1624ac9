// The /proc reader over a fake /proc directory: a process tree's CPU (exited children counted
// through their parent), its memory, diskstats lines, and reasons when /proc is not there.

#include "cluster/proc_stats.hpp"

#include <fstream>

#include <gtest/gtest.h>
#include <unistd.h>

namespace poolbench::cluster {
namespace {

namespace fs = std::filesystem;

class FakeProc : public ::testing::Test {
 protected:
  void SetUp() override {
    m_root = fs::temp_directory_path() /
             ("poolbench-proc-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(m_root);
  }
  void TearDown() override { fs::remove_all(m_root); }

  void write(const fs::path& relative, const std::string& text) {
    fs::create_directories((m_root / relative).parent_path());
    std::ofstream(m_root / relative) << text;
  }
  /// A stat line of `pid` (its command name with a space and a parenthesis, as proc(5)
  /// allows) with the given parent and CPU ticks.
  void process(int pid, int ppid, int utime, int stime, int cutime, int cstime) {
    write(std::to_string(pid) + "/stat", std::to_string(pid) + " (postgres: a (b)) S " +
                                             std::to_string(ppid) + " 1 1 0 -1 4194560 100 0 0 0 " +
                                             std::to_string(utime) + " " + std::to_string(stime) +
                                             " " + std::to_string(cutime) + " " +
                                             std::to_string(cstime) + " 20 0 1 0 100 1000 200\n");
  }

  fs::path m_root;
};

TEST_F(FakeProc, TreeCpuAddsThePostmasterItsReapedChildrenAndItsLivingChildren) {
  const double tick_s = 1.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
  process(100, 1, 10, 5, 300, 100);  // the postmaster, and 400 ticks of exited backends
  process(101, 100, 20, 10, 0, 0);   // a backend
  process(102, 100, 1, 1, 0, 0);     // another
  process(200, 1, 999, 999, 0, 0);   // not the server's
  const auto cpu = ProcFs(m_root).tree_cpu_s(100);
  ASSERT_TRUE(cpu.value) << cpu.reason;
  EXPECT_NEAR(*cpu.value, (15 + 400 + 30 + 2) * tick_s, 1e-9);
}

TEST_F(FakeProc, TreeRssCountsPrivateMemoryOfEachAndTheLargestSharedPartOnce) {
  process(100, 1, 0, 0, 0, 0);
  process(101, 100, 0, 0, 0, 0);
  write("100/status",
        "Name:\tpostgres\nRssAnon:\t    1000 kB\nRssFile:\t 200 kB\nRssShmem:\t 5000 kB\n");
  write("101/status",
        "Name:\tpostgres\nRssAnon:\t     500 kB\nRssFile:\t 100 kB\nRssShmem:\t 8000 kB\n");
  const auto rss = ProcFs(m_root).tree_rss_bytes(100);
  ASSERT_TRUE(rss.value) << rss.reason;
  EXPECT_EQ(*rss.value, (1000 + 500 + 8100) * 1024U);
}

TEST_F(FakeProc, WithoutProcEveryReadingSaysWhatIsNotReadable) {
  const ProcFs proc(m_root / "absent");
  const auto cpu = proc.tree_cpu_s(100);
  EXPECT_FALSE(cpu.value);
  EXPECT_NE(cpu.reason.find("not readable"), std::string::npos) << cpu.reason;
  EXPECT_FALSE(proc.self_cpu_s().value);
  EXPECT_FALSE(proc.tree_rss_bytes(100).value);
  EXPECT_FALSE(proc.command_of(100).value);
  EXPECT_FALSE(proc.disk_of("/").value);
  EXPECT_FALSE(proc.disk_of("/").reason.empty());
}

TEST(ProcStat, ParsesTheFieldsAfterTheLastParenthesis) {
  const auto stat =
      parse_proc_stat("42 (a) b) c) R 7 1 1 0 -1 0 0 0 0 0 11 12 13 14 20 0 1 0 100 1000 200");
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->ppid, 7);
  EXPECT_EQ(stat->utime, 11U);
  EXPECT_EQ(stat->stime, 12U);
  EXPECT_EQ(stat->cutime, 13U);
  EXPECT_EQ(stat->cstime, 14U);
  EXPECT_FALSE(parse_proc_stat("garbage"));
}

TEST(Diskstats, FindsTheDeviceByMajorAndMinorAndCountsBytesFromSectors) {
  const std::string diskstats =
      "   7       0 loop0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
      " 254       0 vda 100 5 2000 30 400 9 8000 70 0 250 100 0 0 0 0 0 0\n"
      " 254       1 vda1 90 5 1800 30 300 9 6000 70 0 240 100 0 0 0 0 0 0\n";
  const auto disk = find_diskstats(diskstats, 254, 1);
  ASSERT_TRUE(disk);
  EXPECT_EQ(disk->device, "vda1");
  EXPECT_EQ(disk->reads, 90U);
  EXPECT_EQ(disk->writes, 300U);
  EXPECT_EQ(disk->read_bytes, 1800U * 512);
  EXPECT_EQ(disk->write_bytes, 6000U * 512);
  EXPECT_EQ(disk->busy_ms, 240U);
  EXPECT_FALSE(find_diskstats(diskstats, 8, 0));
}

}  // namespace
}  // namespace poolbench::cluster
