#include "report/gnuplot.hpp"

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "cluster/process.hpp"
#include "util/error.hpp"

namespace poolbench::report {
namespace {

void write_text(const std::filesystem::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
  out.close();
  if (!out) throw RuntimeFailure(fmt::format("cannot write {}", path.string()));
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw RuntimeFailure(fmt::format("cannot read {}", path.string()));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// The driver script: the same plot for both terminals. Fonts are generic families, so the
/// output does not depend on which font files a machine has.
std::string driver_script(const Chart& chart) {
  return fmt::format(
      "# poolbench chart: {0}\n"
      "# Regenerate in this directory with: gnuplot {1}.gp\n"
      "set terminal svg size {2},{3} dynamic noenhanced font 'sans,12' background rgb '#ffffff'\n"
      "set output '{1}.svg'\n"
      "load '{1}.plot.gp'\n"
      "set terminal pngcairo size {2},{3} noenhanced font 'sans,10' background rgb '#ffffff'\n"
      "set output '{1}.png'\n"
      "load '{1}.plot.gp'\n"
      "set output\n",
      chart.title, chart.name, chart.width_px, chart.height_px);
}

}  // namespace

std::optional<std::filesystem::path> find_gnuplot() {
  return cluster::find_program("gnuplot");
}

std::string render_chart(const Chart& chart, const std::filesystem::path& dir,
                         const std::filesystem::path& gnuplot) {
  for (const auto& file : chart.data) write_text(dir / file.name, file.content);
  write_text(dir / (chart.name + ".plot.gp"), chart.plot);
  write_text(dir / (chart.name + ".gp"), driver_script(chart));
  // Absolute: the child does not necessarily run in our working directory.
  const auto where = std::filesystem::absolute(dir);
  const auto result = cluster::run_command(
      {gnuplot.string(), "-e", fmt::format("cd {}", gnuplot_quote(where.string())),
       (where / (chart.name + ".gp")).string()},
      std::nullopt, std::chrono::seconds(60));
  const auto svg_path = dir / (chart.name + ".svg");
  if (result.exit_code != 0 || !std::filesystem::exists(svg_path) ||
      !std::filesystem::exists(dir / (chart.name + ".png"))) {
    throw RuntimeFailure(fmt::format("gnuplot failed on {} (exit {}):\n{}",
                                     (dir / (chart.name + ".gp")).string(), result.exit_code,
                                     result.output));
  }
  std::string svg = read_text(svg_path);
  const auto start = svg.find("<svg");
  if (start == std::string::npos) {
    throw RuntimeFailure(fmt::format("{}: no <svg> element", svg_path.string()));
  }
  return svg.substr(start);
}

}  // namespace poolbench::report
