#pragma once

#include <string>

// Markdown shared by summary.md (markdown_report.cpp, which defines it) and compare's
// --markdown (compare_report.cpp).

namespace poolbench::report {

/// Text safe inside a Markdown table cell: pipes escaped, line breaks flattened.
std::string markdown_cell_text(const std::string& text);

}  // namespace poolbench::report
