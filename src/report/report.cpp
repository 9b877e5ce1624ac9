#include "report/report.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "report/charts.hpp"
#include "report/csv_report.hpp"
#include "report/gnuplot.hpp"
#include "report/html_report.hpp"
#include "report/markdown_report.hpp"
#include "report/report_model.hpp"
#include "results/file.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace poolbench::report {
namespace {

namespace fs = std::filesystem;

/// A temporary directory inside the output directory (same file system, so its entries can
/// be renamed into place). Removed on destruction, with whatever is still in it.
class StagingDir {
 public:
  explicit StagingDir(const fs::path& parent) {
    std::string pattern = (parent / ".poolbench-report-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw RuntimeFailure(fmt::format("cannot create a temporary directory in {}: {}",
                                       parent.string(), std::strerror(errno)));
    }
    m_path = pattern;
  }
  StagingDir(const StagingDir&) = delete;
  StagingDir& operator=(const StagingDir&) = delete;
  ~StagingDir() {
    std::error_code ignored;
    fs::remove_all(m_path, ignored);
  }
  const fs::path& path() const { return m_path; }

 private:
  fs::path m_path;
};

/// Removes a directory this report created if the report fails before it is complete.
class CreatedDirGuard {
 public:
  explicit CreatedDirGuard(const fs::path& dir) {
    std::error_code error;
    if (!fs::exists(dir)) {
      fs::create_directories(dir, error);
      if (error) {
        throw RuntimeFailure(
            fmt::format("cannot create directory {}: {}", dir.string(), error.message()));
      }
      m_dir = dir;
    }
  }
  CreatedDirGuard(const CreatedDirGuard&) = delete;
  CreatedDirGuard& operator=(const CreatedDirGuard&) = delete;
  ~CreatedDirGuard() {
    if (!m_dir.empty()) {
      std::error_code ignored;
      fs::remove_all(m_dir, ignored);
    }
  }
  void keep() { m_dir.clear(); }

 private:
  fs::path m_dir;
};

void move_into_place(const fs::path& from, const fs::path& to, const fs::path& trash) {
  std::error_code error;
  if (fs::is_directory(to)) {
    fs::rename(to, trash, error);  // the old charts/ goes away with the staging directory
    if (error) {
      throw RuntimeFailure(fmt::format("cannot replace {}: {}", to.string(), error.message()));
    }
  }
  fs::rename(from, to, error);
  if (error) {
    throw RuntimeFailure(fmt::format("cannot write {}: {}", to.string(), error.message()));
  }
}

int resolve_cell(const ReportModel& model, const std::string& wanted) {
  if (wanted.empty()) return -1;
  for (std::size_t i = 0; i < model.cells.size(); ++i) {
    if (model.cells[i].id == wanted || std::to_string(model.cells[i].index) == wanted) {
      return static_cast<int>(i);
    }
  }
  throw InputError(fmt::format("--cell {}: no such cell in {} (give a cell id or index, 0..{})",
                               wanted, model.source,
                               model.cells.empty() ? 0 : model.cells.size() - 1));
}

}  // namespace

ReportSummary write_report(const nlohmann::json& results, const fs::path& out_dir,
                           const ReportOptions& options) {
  // Everything that can be bad input is checked before anything is created.
  nlohmann::json computed;
  const nlohmann::json* analysis = nullptr;
  if (results.is_object() && results.contains("analysis") && results["analysis"].is_object()) {
    analysis = &results["analysis"];
  } else if (options.analyze) {
    results::check_results(results, options.source);
    computed = options.analyze(results);
    analysis = &computed;
  }
  const ReportModel model = build_model(results, analysis, options.source);
  ChartOptions chart_options;
  chart_options.timeseries_cell = resolve_cell(model, options.timeseries_cell);
  std::vector<Chart> charts = plan_charts(model, chart_options);
  const std::string summary_md = render_summary_md(model);
  const std::string cells_csv = render_cells_csv(model);

  CreatedDirGuard created(out_dir);
  StagingDir staging(out_dir);
  const fs::path charts_dir = staging.path() / "charts";
  fs::create_directory(charts_dir);
  const auto gnuplot = find_gnuplot();
  ReportSummary summary;
  std::vector<RenderedChart> rendered;
  for (auto& chart : charts) {
    if (chart.skipped.empty() && !gnuplot) {
      chart.skipped = "gnuplot is not installed (Debian: apt-get install gnuplot-nox).";
    }
    RenderedChart entry{&chart, {}};
    if (chart.skipped.empty()) {
      entry.svg = render_chart(chart, charts_dir, *gnuplot);
      summary.charts_drawn.push_back(chart.name);
    } else {
      summary.charts_skipped.push_back(chart.name + ": " + chart.skipped);
    }
    rendered.push_back(std::move(entry));
  }
  const std::string html = render_html(html_view(model, rendered));
  util::write_file_atomically(staging.path() / "index.html", html);
  util::write_file_atomically(staging.path() / "summary.md", summary_md);
  util::write_file_atomically(staging.path() / "cells.csv", cells_csv);

  // All rendered: move into place (charts/ first, index.html last).
  const fs::path trash = staging.path() / "old-charts";
  move_into_place(charts_dir, out_dir / "charts", trash);
  for (const char* name : {"cells.csv", "summary.md", "index.html"}) {
    move_into_place(staging.path() / name, out_dir / name, trash);
  }
  created.keep();
  summary.files = {out_dir / "index.html", out_dir / "summary.md", out_dir / "cells.csv",
                   out_dir / "charts"};
  return summary;
}

}  // namespace poolbench::report
