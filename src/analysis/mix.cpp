#include "analysis/mix.hpp"

#include <cctype>

namespace poolbench::analysis::detail {
namespace {

using nlohmann::json;

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

std::vector<std::pair<json, double>> weighted_transactions(const json& results, const json& cell) {
  const json scenario = results.value("scenario", json::object());
  const json params = cell.value("params", json::object());
  std::string mix = scenario.value(json::json_pointer("/workload/mix"), std::string("none"));
  if (params.contains("workload.mix") && params["workload.mix"].is_string()) {
    mix = params["workload.mix"].get<std::string>();
  }
  json weights = nullptr;
  if (mix != "none" && scenario.contains("mixes") && scenario["mixes"].contains(mix)) {
    weights = scenario["mixes"][mix];
  }
  std::vector<std::pair<json, double>> out;
  for (const auto& transaction : scenario.value("transactions", json::array())) {
    const std::string name = transaction.value("name", "");
    const double weight =
        weights.is_object() ? weights.value(name, 0.0) : transaction.value("weight", 0.0);
    if (weight > 0) out.emplace_back(transaction, weight);
  }
  return out;
}

bool script_writes(const std::string& script) {
  const std::string text = lower(script);
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = text.find_first_of(";\n", start);
    const std::string piece = text.substr(start, end == std::string::npos ? end : end - start);
    const auto first = piece.find_first_not_of(" \t\r");
    if (first != std::string::npos) {
      for (const char* verb : {"insert", "update", "delete", "merge", "copy"}) {
        if (piece.compare(first, std::char_traits<char>::length(verb), verb) == 0) return true;
      }
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return false;
}

MixShare classify_mix(const json& results, const json& cell) {
  double total = 0;
  double writing = 0;
  for (const auto& [transaction, weight] : weighted_transactions(results, cell)) {
    total += weight;
    if (script_writes(transaction.value("script", ""))) writing += weight;
  }
  MixShare out;
  if (total <= 0) return out;
  out.write_share = writing / total;
  out.kind = *out.write_share <= k_read_heavy_max_write_share    ? MixKind::read_heavy
             : *out.write_share >= k_write_heavy_min_write_share ? MixKind::write_heavy
                                                                 : MixKind::mixed;
  return out;
}

}  // namespace poolbench::analysis::detail
