#include "scenario/trace_reader.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "util/error.hpp"

namespace poolbench::scenario {
namespace {

/// The dictionary of a checked header: {"sql": text, "protocol": "simple"|"extended"}.
std::vector<TraceText> read_texts(const nlohmann::json& header, const std::string& where) {
  std::vector<TraceText> texts;
  if (!header.at("statements").is_array()) {
    throw InputError(fmt::format("{}: statements: expected a list", where));
  }
  for (const auto& entry : header.at("statements")) {
    const auto sql = entry.is_object() ? entry.find("sql") : entry.end();
    if (!entry.is_object() || sql == entry.end() || !sql->is_string()) {
      throw InputError(
          fmt::format("{}: statements[{}]: expected {{\"sql\": text}}", where, texts.size()));
    }
    texts.push_back({sql->get<std::string>(), entry.value("protocol", "") == "simple"});
  }
  return texts;
}

std::int64_t field_us(const nlohmann::json& object, const char* key, const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_number_integer() || it->get<std::int64_t>() < 0) {
    throw InputError(
        fmt::format("{}: {}: expected a whole number of microseconds >= 0", where, key));
  }
  return it->get<std::int64_t>();
}

void read_statement(const nlohmann::json& entry, std::size_t dictionary, TraceStatement& out,
                    const std::string& where) {
  if (!entry.is_object()) throw InputError(fmt::format("{}: statements: expected objects", where));
  const auto q = entry.find("q");
  if (q == entry.end() || !q->is_number_unsigned() || q->get<std::uint64_t>() >= dictionary) {
    throw InputError(
        fmt::format("{}: q: expected an index into the header's {} statements", where, dictionary));
  }
  out.q = q->get<std::uint32_t>();
  out.gap_us = field_us(entry, "gap_us", where);
  out.params.clear();
  const auto params = entry.find("params");
  if (params == entry.end()) return;
  if (!params->is_array()) throw InputError(fmt::format("{}: params: expected a list", where));
  for (const auto& param : *params) {
    if (param.is_null()) {
      out.params.emplace_back();
    } else if (param.is_string()) {
      out.params.emplace_back(param.get<std::string>());
    } else {
      throw InputError(fmt::format("{}: params: expected text or null values", where));
    }
  }
}

}  // namespace

TraceReader::TraceReader(const std::filesystem::path& path) : m_path(path), m_reader(path) {
  std::string line;
  if (!m_reader.next(line)) {
    throw InputError(fmt::format("{}:1: empty trace (expected a header line)", path.string()));
  }
  const nlohmann::json header = nlohmann::json::parse(line, nullptr, false);
  if (header.is_discarded()) {
    throw InputError(fmt::format("{}: not a poolbench trace (the header is not JSON)", where()));
  }
  m_header = check_trace_header(header, where());
  m_texts = read_texts(header, where());
}

std::string TraceReader::where() const {
  return fmt::format("{}:{}", m_path.string(), m_reader.line_number());
}

bool TraceReader::next(TraceRequest& out) {
  if (!m_reader.next(m_line)) {
    if (m_count != m_header.requests) {
      throw InputError(fmt::format(
          "{}:1: the header says {} requests, the trace holds {} (a truncated or edited trace)",
          m_path.string(), m_header.requests, m_count));
    }
    return false;
  }
  const nlohmann::json request = nlohmann::json::parse(m_line, nullptr, false);
  if (!request.is_object()) {
    throw InputError(fmt::format("{}: expected a request (a JSON object on one line)", where()));
  }
  out.index = m_count;
  out.at_us = field_us(request, "at_us", where());
  if (out.at_us < m_last_at_us) {
    throw InputError(fmt::format("{}: at_us: {} is before the previous request's {}", where(),
                                 out.at_us, m_last_at_us));
  }
  const auto statements = request.find("statements");
  if (statements == request.end() || !statements->is_array() || statements->empty()) {
    throw InputError(fmt::format("{}: statements: expected a list of one or more", where()));
  }
  out.statements.resize(statements->size());
  for (std::size_t i = 0; i < statements->size(); ++i) {
    read_statement((*statements)[i], m_texts.size(), out.statements[i], where());
  }
  m_last_at_us = out.at_us;
  ++m_count;
  return true;
}

std::filesystem::path replay_trace_path(const Scenario& scenario) {
  std::filesystem::path trace(scenario.replay.trace);
  if (trace.is_relative()) trace = std::filesystem::path(scenario.file).parent_path() / trace;
  return trace;
}

TraceHeader check_trace(const std::filesystem::path& path) {
  TraceReader reader(path);
  TraceRequest request;
  while (reader.next(request)) {
  }
  return reader.header();
}

}  // namespace poolbench::scenario
