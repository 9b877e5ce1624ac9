// gzip line files and the trace header check (scenario/trace_format.hpp).

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "scenario/trace_format.hpp"
#include "util/error.hpp"
#include "util/gzip.hpp"

namespace poolbench {
namespace {

namespace fs = std::filesystem;

class GzipTrace : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir = fs::temp_directory_path() / ("poolbench-gz-" + std::to_string(::getpid()));
    fs::create_directories(m_dir);
  }
  void TearDown() override { fs::remove_all(m_dir); }
  fs::path m_dir;
};

TEST_F(GzipTrace, LinesWrittenAreReadBackAndAnUnfinishedWriterLeavesNoFile) {
  const fs::path path = m_dir / "a.gz";
  {
    util::GzWriter writer(path);
    writer.write_line("one");
    writer.write_line("");
    writer.write_line(std::string(20000, 'x'));
    writer.finish();
  }
  util::GzLineReader reader(path);
  std::string line;
  ASSERT_TRUE(reader.next(line));
  EXPECT_EQ(line, "one");
  ASSERT_TRUE(reader.next(line));
  EXPECT_EQ(line, "");
  ASSERT_TRUE(reader.next(line));
  EXPECT_EQ(line.size(), 20000U);
  EXPECT_EQ(reader.line_number(), 3U);
  EXPECT_FALSE(reader.next(line));
  { util::GzWriter abandoned(m_dir / "b.gz"); }
  EXPECT_EQ(std::distance(fs::directory_iterator(m_dir), fs::directory_iterator()), 1);
}

TEST_F(GzipTrace, AHeaderOfAnotherFormatVersionIsRefusedNamingTheFileAndLine) {
  const fs::path path = m_dir / "trace.jsonl.gz";
  util::GzWriter writer(path);
  writer.write_line(
      R"({"format": "poolbench.trace", "version": 99, "requests": 0, "statements": []})");
  writer.finish();
  try {
    scenario::read_trace_header(path);
    FAIL() << "accepted version 99";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(path.string() + ":1: trace format version 99"),
              std::string::npos)
        << e.what();
  }
  std::ofstream(m_dir / "plain") << "{\"format\": \"poolbench.trace\", \"version\": 1, "
                                    "\"requests\": 3, \"statements\": [{}]}\n";
  EXPECT_EQ(scenario::read_trace_header(m_dir / "plain").requests, 3);
}

}  // namespace
}  // namespace poolbench
