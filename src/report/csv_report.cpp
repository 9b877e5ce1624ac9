#include "report/csv_report.hpp"

#include <cmath>

#include <fmt/format.h>

namespace poolbench::report {
namespace {

std::string field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (const char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + '"';
}

std::string number(double value) {
  return std::isnan(value) ? "" : fmt::format("{}", value);
}

void append_row(std::string& out, const std::vector<std::string>& fields) {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += ',';
    out += field(fields[i]);
  }
  out += '\n';
}

}  // namespace

std::string render_cells_csv(const ReportModel& model) {
  std::vector<std::string> header = {"id", "repetition", "status"};
  header.insert(header.end(), model.param_names.begin(), model.param_names.end());
  for (const char* name :
       {"requests", "timeouts", "errors", "dropped", "throughput_rps", "timeout_rate", "drop_rate",
        "error_rate", "latency_p50_ms", "latency_p99_ms", "latency_max_ms", "checkout_wait_p99_ms",
        "hold_mean_ms", "mean_checked_out", "max_checked_out", "verdict", "verdict_reason"}) {
    header.emplace_back(name);
  }
  std::string out;
  append_row(out, header);
  for (const auto& row : model.cells) {
    std::vector<std::string> fields = {row.id, fmt::format("{}", row.repetition), row.status};
    fields.insert(fields.end(), row.param_values.begin(), row.param_values.end());
    for (const double value :
         {row.requests, row.timeouts, row.errors, row.dropped, row.throughput_rps, row.timeout_rate,
          row.drop_rate, row.error_rate, row.latency_p50_ms, row.latency_p99_ms, row.latency_max_ms,
          row.checkout_wait_p99_ms, row.hold_mean_ms, row.mean_checked_out, row.max_checked_out}) {
      fields.push_back(number(value));
    }
    fields.push_back(row.verdict.kind == VerdictKind::none ? "" : row.verdict.text);
    fields.push_back(row.verdict.reason);
    append_row(out, fields);
  }
  return out;
}

}  // namespace poolbench::report
