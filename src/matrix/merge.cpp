// merge_shards (matrix/merge.hpp): checks that the files are the shards of one run, then
// merges them cell by cell (merge_cells.cpp).

#include "matrix/merge.hpp"

#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "results/document.hpp"
#include "util/error.hpp"

namespace poolbench::matrix {
namespace {

using nlohmann::json;

/// The shard's "shard" object, checked; refuses a file that is not a shard's results.
const json& shard_of(const ShardResults& shard) {
  const json& r = shard.results;
  if (!r.is_object() || r.value("schema", std::string()) != results::k_schema) {
    throw InputError(
        fmt::format("{}: not a poolbench results file (schema {})", shard.name, results::k_schema));
  }
  if (!r.contains("shard") || !r["shard"].is_object()) {
    throw InputError(fmt::format(
        "{}: not a shard's results (no \"shard\" key): merge takes the results.json of runs "
        "made with --shard I/N",
        shard.name));
  }
  const json& s = r["shard"];
  for (const char* key : {"index", "count"}) {
    if (!s.contains(key) || !s[key].is_number_integer()) {
      throw InputError(fmt::format("{}: shard.{} is missing or not an integer", shard.name, key));
    }
  }
  if (!r.contains("cells") || !r["cells"].is_array()) {
    throw InputError(fmt::format("{}: no \"cells\" array", shard.name));
  }
  return s;
}

/// The scenario without where it was read from (shards may read it from different paths).
json comparable_scenario(const json& results) {
  json scenario = results.value("scenario", json());
  if (scenario.is_object()) scenario.erase("file");
  return scenario;
}

std::string version_of(const json& results) {
  return results.contains("tool") ? results["tool"].value("version", std::string("?")) : "?";
}

/// Refuses a shard that does not belong with `first`.
void check_same_run(const ShardResults& first, const ShardResults& other) {
  const json& a = first.results;
  const json& b = other.results;
  auto refuse = [&](const std::string& what, const std::string& mine, const std::string& theirs) {
    throw InputError(fmt::format("{}: {} is {}, but {} in {}: not shards of one run", other.name,
                                 what, theirs, mine, first.name));
  };
  if (version_of(a) != version_of(b)) {
    refuse("the poolbench version", version_of(a), version_of(b));
  }
  if (a["shard"]["count"] != b["shard"]["count"]) {
    refuse("the shard count", a["shard"]["count"].dump(), b["shard"]["count"].dump());
  }
  for (const char* key : {"start_at", "settle_s"}) {
    if (a["shard"].value(key, json()) != b["shard"].value(key, json())) {
      refuse(fmt::format("shard.{}", key), a["shard"].value(key, json()).dump(),
             b["shard"].value(key, json()).dump());
    }
  }
  if (comparable_scenario(a) != comparable_scenario(b)) {
    throw InputError(fmt::format(
        "{}: its scenario differs from {}'s (name, workload, pool or another key): not shards "
        "of one run",
        other.name, first.name));
  }
  const json no_matrix = json::object();
  if (a.value("matrix", no_matrix).value("cell_ids", json()) !=
      b.value("matrix", no_matrix).value("cell_ids", json())) {
    throw InputError(fmt::format("{}: its planned cells differ from {}'s", other.name, first.name));
  }
}

std::string cell_key(const json& cell, std::size_t position) {
  return cell.contains("id") && cell["id"].is_string() ? cell["id"].get<std::string>()
                                                       : fmt::format("#{}", position);
}

/// The shards in index order, refusing duplicates, gaps and runs other than the first's.
std::vector<const ShardResults*> by_shard_index(const std::vector<ShardResults>& shards,
                                                int count) {
  // By index, refusing duplicates and gaps.
  std::map<int, const ShardResults*> by_index;
  for (const auto& shard : shards) {
    const json& s = shard_of(shard);
    check_same_run(shards.front(), shard);
    const int index = s["index"].get<int>();
    if (index < 0 || index >= count) {
      throw InputError(
          fmt::format("{}: shard index {} is not in 0..{}", shard.name, index, count - 1));
    }
    const auto [it, inserted] = by_index.emplace(index, &shard);
    if (!inserted) {
      throw InputError(fmt::format("{}: shard {} of {} again (also {})", shard.name, index, count,
                                   it->second->name));
    }
  }
  if (static_cast<int>(by_index.size()) != count) {
    std::vector<int> missing;
    for (int i = 0; i < count; ++i) {
      if (!by_index.count(i)) missing.push_back(i);
    }
    throw InputError(fmt::format("poolbench merge: shard(s) {} of {} missing (given: {})",
                                 fmt::join(missing, ", "), count, shards.size()));
  }
  std::vector<const ShardResults*> ordered;
  for (const auto& [index, shard] : by_index) ordered.push_back(shard);
  return ordered;
}

}  // namespace

json merge_shards(const std::vector<ShardResults>& shards) {
  if (shards.empty()) throw InputError("poolbench merge: give the shards' results.json files");
  const int count = shard_of(shards.front())["count"].get<int>();
  const std::vector<const ShardResults*> ordered = by_shard_index(shards, count);

  // Cells by key, in the order of shard 0; every shard must hold the same ones.
  const ShardResults& zero = *ordered.front();
  std::vector<std::string> keys;
  std::vector<std::map<std::string, const json*>> cells(ordered.size());
  for (std::size_t s = 0; s < ordered.size(); ++s) {
    const json& list = ordered[s]->results["cells"];
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string key = cell_key(list[i], i);
      if (!cells[s].emplace(key, &list[i]).second) {
        throw InputError(fmt::format("{}: cell {} twice", ordered[s]->name, key));
      }
      if (s == 0) keys.push_back(key);
    }
  }
  for (std::size_t s = 1; s < ordered.size(); ++s) {
    for (const auto& key : keys) {
      if (!cells[s].count(key)) {
        throw InputError(
            fmt::format("{}: has no cell {} ({} has it): merge needs every shard's "
                        "cells (finish them with --resume)",
                        ordered[s]->name, key, zero.name));
      }
    }
    for (const auto& [key, cell] : cells[s]) {
      if (!cells[0].count(key)) {
        throw InputError(
            fmt::format("{}: has cell {}, which {} has not", ordered[s]->name, key, zero.name));
      }
    }
  }

  json out = zero.results;
  out.erase("shard");
  out.erase("analysis");
  json files = json::array();
  json hosts = json::array();
  bool complete = true;
  for (const ShardResults* shard : ordered) {
    files.push_back(shard->name);
    hosts.push_back(shard->results.value("host", json::object()));
    if (shard->results.contains("matrix")) {
      complete = complete && shard->results["matrix"].value("complete", false);
    }
  }
  const json& shard_zero = zero.results["shard"];
  out["shards"] = {{"count", count},
                   {"start_at", shard_zero.value("start_at", json())},
                   {"start_at_unix_s", shard_zero.value("start_at_unix_s", json())},
                   {"files", files},
                   {"hosts", hosts}};
  if (out.contains("matrix")) out["matrix"]["complete"] = complete;
  json merged_cells = json::array();
  for (const auto& key : keys) {
    std::vector<ShardCell> group;
    for (std::size_t s = 0; s < ordered.size(); ++s) {
      group.push_back({&ordered[s]->name, cells[s].at(key)});
    }
    merged_cells.push_back(merge_cell(group));
  }
  // The analysis reads pool.instances as the number of pools: with fewer instances than
  // shards every shard ran its own copies, so the distributed run had more pools.
  if (!merged_cells.empty() && out["scenario"].contains("pool")) {
    json& pool = out["scenario"]["pool"];
    const json& total = merged_cells[0]["shards"][0].value("total_pools", json());
    const bool fleet = pool.contains("fleet") && pool["fleet"].is_array() && !pool["fleet"].empty();
    if (total.is_number_integer() && !fleet) pool["instances"] = total;
  }
  out["cells"] = std::move(merged_cells);
  return out;
}

}  // namespace poolbench::matrix
