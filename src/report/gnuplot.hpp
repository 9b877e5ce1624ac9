#pragma once

// Renders chart plans (report/charts.hpp) with gnuplot (Debian's gnuplot-nox): writes the
// plan's data files, <name>.plot.gp (the plot commands) and <name>.gp (both terminals, so a
// user can re-run `gnuplot <name>.gp` inside charts/ after editing), then runs gnuplot once
// per chart, producing <name>.svg (terminal svg) and <name>.png (terminal pngcairo).
// gnuplot runs as a child process with an argument vector (no shell).

#include <filesystem>
#include <optional>
#include <string>

#include "report/charts.hpp"

namespace poolbench::report {

/// gnuplot on PATH, or nullopt.
std::optional<std::filesystem::path> find_gnuplot();

/// Writes `chart`'s files into `dir` (which must exist) and runs `gnuplot`. Returns the SVG
/// text as an element to inline into HTML (the XML prolog removed). Throws RuntimeFailure
/// with gnuplot's output when it fails or does not produce both files.
std::string render_chart(const Chart& chart, const std::filesystem::path& dir,
                         const std::filesystem::path& gnuplot);

}  // namespace poolbench::report
