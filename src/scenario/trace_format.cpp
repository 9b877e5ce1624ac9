#include "scenario/trace_format.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "util/error.hpp"
#include "util/gzip.hpp"

namespace poolbench::scenario {

TraceHeader check_trace_header(const nlohmann::json& header, const std::string& where) {
  if (!header.is_object() || header.value("format", std::string()) != k_trace_format) {
    throw InputError(
        fmt::format("{}: not a poolbench trace (expected a header line with \"format\": \"{}\"; "
                    "'poolbench capture --log' writes one)",
                    where, k_trace_format));
  }
  const auto version = header.find("version");
  if (version == header.end() || !version->is_number_integer() ||
      version->get<int>() != k_trace_version) {
    throw InputError(fmt::format(
        "{}: trace format version {} is not supported (this poolbench reads version {}; "
        "capture the log again with this version)",
        where, version == header.end() ? std::string("(none)") : version->dump(), k_trace_version));
  }
  TraceHeader out;
  try {
    out.requests = header.at("requests").get<std::int64_t>();
    out.sessions = header.value("sessions", std::int64_t{0});
    out.span_s = header.value("span_s", 0.0);
    out.redacted = header.value("redacted", false);
    out.statements = header.at("statements").size();
  } catch (const nlohmann::json::exception&) {
    throw InputError(fmt::format(
        "{}: the trace header lacks \"requests\" or \"statements\" (a damaged trace)", where));
  }
  if (out.requests < 0) throw InputError(fmt::format("{}: requests: expected >= 0", where));
  return out;
}

TraceHeader read_trace_header(const std::filesystem::path& path) {
  util::GzLineReader reader(path);
  std::string line;
  if (!reader.next(line)) {
    throw InputError(fmt::format("{}:1: empty trace (expected a header line)", path.string()));
  }
  const std::string where = fmt::format("{}:{}", path.string(), reader.line_number());
  nlohmann::json header = nlohmann::json::parse(line, nullptr, false);
  if (header.is_discarded()) {
    throw InputError(fmt::format("{}: not a poolbench trace (the header is not JSON)", where));
  }
  return check_trace_header(header, where);
}

}  // namespace poolbench::scenario
