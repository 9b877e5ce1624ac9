#pragma once

// index.html: one self-contained page (inline CSS, inline SVG charts, inline scripts: the
// sizing calculator and an error box; nothing fetched) rendered from the Mustache template
// src/report/templates/index.html.mustache, which is compiled in. Every value goes through
// the template engine's HTML escaping (the calculator's data too, in an attribute); only the
// gnuplot SVGs and the calculator's own script (templates/calculator.js) are inserted raw.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/charts.hpp"
#include "report/report_model.hpp"

namespace poolbench::report {

/// A chart as the page shows it: the plan's texts plus its rendered SVG (empty when skipped).
struct RenderedChart {
  const Chart* chart = nullptr;
  std::string svg;
};

/// The template's view: plain JSON (strings, booleans, arrays, objects). Exposed for tests.
nlohmann::json html_view(const ReportModel& model, const std::vector<RenderedChart>& charts);

/// Renders `view` with the compiled-in template. Throws RuntimeFailure if the template does
/// not parse (a build defect).
std::string render_html(const nlohmann::json& view);

}  // namespace poolbench::report
