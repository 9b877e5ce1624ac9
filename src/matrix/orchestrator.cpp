#include "matrix/orchestrator.hpp"

#include <algorithm>
#include <thread>

#include <fmt/format.h>

#include "analysis/analyze.hpp"
#include "matrix/cell_runner.hpp"
#include "results/document.hpp"
#include "scenario/shard_split.hpp"
#include "util/error.hpp"

namespace poolbench::matrix {
namespace {

using Clock = std::chrono::steady_clock;

/// The settle pause between cells checks for SIGINT this often.
constexpr auto k_settle_step = std::chrono::milliseconds(20);

double seconds(std::chrono::microseconds d) {
  return std::chrono::duration<double>(d).count();
}

/// Sleeps `duration` in short steps; false when interrupted meanwhile.
bool settle(std::chrono::microseconds duration, const std::function<bool()>& interrupted) {
  const auto until = Clock::now() + duration;
  while (Clock::now() < until) {
    if (interrupted && interrupted()) return false;
    std::this_thread::sleep_for(k_settle_step);
  }
  return true;
}

nlohmann::json stored_cell(const Cell& cell, nlohmann::json result, const ServerTarget& server) {
  result["id"] = cell.id;
  result["index"] = cell.index;
  result["server"] = server.info;
  return result;
}

/// ETA from the cells still to run, scaled by how long measured cells took vs planned.
class Eta {
 public:
  explicit Eta(double planned_total_s) : m_left_s(planned_total_s) {}
  void finished(double planned_s, double actual_s) {
    m_planned_done_s += planned_s;
    m_actual_done_s += actual_s;
    m_left_s -= planned_s;
  }
  double left_s() const {
    const double scale = m_planned_done_s > 0 ? m_actual_done_s / m_planned_done_s : 1.0;
    return std::max(0.0, m_left_s * scale);
  }

 private:
  double m_left_s;
  double m_planned_done_s = 0;
  double m_actual_done_s = 0;
};

/// A shard's cell starting later than this after its slot gets a warning.
constexpr double k_late_start_warning_s = 0.5;

/// The shared schedule: slot starts by position among all planned cells (finished ones
/// included), so every shard computes the same ones. Empty when not sharded.
std::vector<WallClock::time_point> shard_slot_starts(const std::vector<Cell>& cells,
                                                     const MatrixSettings& settings) {
  std::vector<WallClock::time_point> slot_starts;
  if (settings.shard) {
    auto at = settings.shard->start_at;
    for (const auto& cell : cells) {
      slot_starts.push_back(at);
      at += std::chrono::duration_cast<WallClock::duration>(
          slot_length(cell.scenario, settings.shard->settle));
    }
  }
  return slot_starts;
}

/// One cell's options (without a shard's start): seed and run id by cell index, its params.
CellOptions cell_options(const Cell& cell, const MatrixSettings& settings,
                         const MatrixCallbacks& callbacks, cluster::Cluster* cluster) {
  CellOptions options;
  options.threads = settings.threads;
  options.seed = settings.seed + static_cast<std::uint64_t>(cell.index);
  options.run_id = fmt::format("{}-c{}", settings.run_id, cell.index);
  options.repetition = cell.repetition;
  for (const auto& [key, value] : cell.params) options.extra_params[key] = value;
  options.interrupted = callbacks.interrupted;
  options.note = callbacks.note;
  options.cluster = cluster;
  options.inject_faults = !settings.shard || settings.shard->spec.index == 0;
  return options;
}

/// The server of `cell` started or switched to its profile, and its dataset prepared; null
/// when SIGINT stopped the embedded server meanwhile (a cell starting just then finds it
/// gone).
const ServerTarget* prepare_cell_server(const Cell& cell,
                                        const std::map<std::string, cluster::Profile>& profiles,
                                        Servers& servers, const MatrixSettings& settings,
                                        const MatrixCallbacks& callbacks) {
  try {
    const ServerTarget* server = &servers.use(profiles.at(cell.scenario.server.profile));
    const auto dataset =
        prepare_dataset(cell.scenario, *server,
                        server->embedded || settings.reinit ? Reinit::allow : Reinit::refuse);
    if (!dataset.reused && callbacks.note) callbacks.note(dataset.summary);
    return server;
  } catch (const RuntimeFailure&) {
    if (!callbacks.interrupted || !callbacks.interrupted()) throw;
    return nullptr;
  }
}

/// After the last cell: the SLO misses counted, the matrix marked complete (unless
/// interrupted) and, unless a shard's, the analysis stored.
void finish_matrix(const std::vector<Cell>& cells, ResultStore& store,
                   const MatrixSettings& settings, const MatrixCallbacks& callbacks,
                   MatrixOutcome& outcome) {
  for (const auto& cell : cells) {
    const nlohmann::json* stored = store.find(cell.id);
    if (stored != nullptr && stored->value("status", "") == "ok" &&
        !slo_misses(cell.scenario, *stored).empty()) {
      ++outcome.slo_misses;
    }
  }
  if (!outcome.interrupted) store.set_matrix_field("complete", true);
  if (settings.shard) return;  // the analysis belongs to the merged results
  // The models and verdicts over what was measured (also for an interrupted matrix: the
  // cells that finished are findings too). Derived data: `poolbench report` recomputes it.
  try {
    store.set_field("analysis", analysis::analyze(store.document()));
  } catch (const Error& e) {
    // Derived data: the measured cells are stored already; `poolbench report` retries it.
    if (callbacks.note) callbacks.note(fmt::format("warning: no analysis: {}", e.what()));
  }
}

}  // namespace

double planned_seconds(const Cell& cell, std::chrono::microseconds settle_time) {
  const auto& w = cell.scenario.workload;
  return seconds(w.warmup) + (w.transactions ? 0.0 : seconds(w.duration)) + seconds(settle_time);
}

nlohmann::json matrix_document(const scenario::Scenario& base, const std::vector<Cell>& cells,
                               const ServerTarget& first_server, std::uint64_t seed,
                               const std::string& order, const std::string& run_id) {
  nlohmann::json ids = nlohmann::json::array();
  for (const auto& cell : cells) ids.push_back(cell.id);
  nlohmann::json axes = nlohmann::json::object();
  if (!cells.empty()) {
    for (const auto& [key, value] : cells.front().params) {
      nlohmann::json values = nlohmann::json::array();
      for (const auto& cell : cells) {
        for (const auto& [k, v] : cell.params) {
          if (k == key && std::find(values.begin(), values.end(), v) == values.end()) {
            values.push_back(v);
          }
        }
      }
      axes[key] = values;
    }
  }
  nlohmann::json document = results::run_document(base, {.masked_dsn = first_server.masked,
                                                         .server = first_server.info,
                                                         .run_id = run_id,
                                                         .seed = seed});
  document["matrix"] = {{"scenario_hash", scenario_hash(base)},
                        {"axes", axes},
                        {"repetitions", std::max(1, base.repetitions)},
                        {"order", order},
                        {"cells_planned", cells.size()},
                        {"cell_ids", ids},
                        {"complete", false}};
  return document;
}

MatrixOutcome run_matrix(const std::vector<Cell>& cells,
                         const std::map<std::string, cluster::Profile>& profiles, Servers& servers,
                         ResultStore& store, const MatrixSettings& settings,
                         const MatrixCallbacks& callbacks) {
  MatrixOutcome outcome;
  int to_run = 0;
  double planned_total_s = 0;
  for (const auto& cell : cells) {
    if (store.done(cell.id)) continue;
    ++to_run;
    planned_total_s += planned_seconds(cell, settings.settle);
  }
  Eta eta(planned_total_s);
  const std::vector<WallClock::time_point> slot_starts = shard_slot_starts(cells, settings);
  const auto interrupted = [&] { return callbacks.interrupted && callbacks.interrupted(); };
  for (std::size_t position = 0; position < cells.size(); ++position) {
    const Cell& cell = cells[position];
    if (store.done(cell.id)) continue;
    if (interrupted()) {
      outcome.interrupted = true;
      break;
    }
    const auto started = Clock::now();
    const ServerTarget* server_ptr =
        prepare_cell_server(cell, profiles, servers, settings, callbacks);
    if (server_ptr == nullptr) {  // interrupted while the server started
      outcome.interrupted = true;
      break;
    }
    const ServerTarget& server = *server_ptr;
    CellOptions options = cell_options(cell, settings, callbacks, servers.cluster());
    std::optional<scenario::ShardLoad> load;
    if (settings.shard) {
      load = scenario::shard_load(cell.scenario, settings.shard->spec);
      options.start_at = slot_starts[position];
      options.reset_statements = settings.shard->spec.index == 0;
    }
    CellOutcome result = run_cell(load ? load->scenario : cell.scenario, server, options);
    if (load) {
      result.cell["shard"] = cell_shard_json(*load, slot_starts[position], result.late_s);
      if (result.late_s > k_late_start_warning_s && callbacks.note) {
        callbacks.note(fmt::format(
            "warning: cell {} started {:.1f} s after its slot: its load overlaps the other "
            "shards' only partly",
            cell.id, result.late_s));
      }
    }
    store.put(stored_cell(cell, std::move(result.cell), server));
    ++outcome.ran;
    if (result.interrupted) {
      outcome.interrupted = true;
      break;
    }
    const bool settled = settings.shard || settle(settings.settle, callbacks.interrupted);
    eta.finished(planned_seconds(cell, settings.settle),
                 std::chrono::duration<double>(Clock::now() - started).count());
    const nlohmann::json& stored = *store.find(cell.id);
    auto misses = slo_misses(cell.scenario, stored);
    if (callbacks.on_cell) {
      callbacks.on_cell(CellReport{.cell = cell,
                                   .result = stored,
                                   .slo_misses = std::move(misses),
                                   .position = outcome.ran,
                                   .to_run = to_run,
                                   .eta_s = eta.left_s()});
    }
    if (!settled) {
      outcome.interrupted = true;
      break;
    }
  }
  finish_matrix(cells, store, settings, callbacks, outcome);
  return outcome;
}

}  // namespace poolbench::matrix
