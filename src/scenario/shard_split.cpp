#include "scenario/shard_split.hpp"

#include <fmt/format.h>

#include "scenario/instance_split.hpp"
#include "util/error.hpp"

namespace poolbench::scenario {
namespace {

/// SplitMix64's finaliser: a well-mixed 64-bit value from any input.
std::uint64_t mix64(std::uint64_t x) noexcept {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

ShardLoad shard_load(const Scenario& full, ShardSpec shard) {
  const auto instances = resolve_instances(full);
  const int k = static_cast<int>(instances.size());
  const int n = shard.count;
  const bool closed = full.workload.mode == LoadMode::closed;
  ShardLoad out;
  out.scenario = full;
  if (k >= n) {
    std::vector<double> shares;
    for (const auto& instance : instances) shares.push_back(instance.share);
    const auto owner = assign_clients(closed ? full.workload.clients : 0, shares);
    std::vector<Scenario::Instance> fleet;
    double share = 0;
    for (int i = shard.index; i < k; i += n) {
      const auto at = static_cast<std::size_t>(i);
      out.instances.push_back(instances[at].name);
      share += instances[at].share;
      if (!full.pool.fleet.empty()) {
        fleet.push_back(full.pool.fleet[at]);
      } else {
        fleet.push_back(
            Scenario::Instance{.name = instances[at].name, .share = 1.0, .pool = {}, .at = {}});
      }
      for (const std::size_t o : owner) out.clients += o == at ? 1 : 0;
    }
    out.rate_per_s = full.workload.rate_per_s * share;
    out.total_pools = k;
    out.scenario.pool.fleet = std::move(fleet);
    out.scenario.pool.instances = static_cast<int>(out.scenario.pool.fleet.size());
  } else {
    for (const auto& instance : instances) out.instances.push_back(instance.name);
    const int clients = full.workload.clients;
    out.clients = clients / n + (shard.index < clients % n ? 1 : 0);
    out.rate_per_s = full.workload.rate_per_s / n;
    out.total_pools = k * n;
  }
  if (closed) {
    if (out.clients < 1) {
      throw InputError(fmt::format(
          "--shard {}/{}: this shard gets no clients (workload.clients is {} for {} app "
          "instance(s) over {} shards); use fewer shards or more clients",
          shard.index, n, full.workload.clients, k, n));
    }
    out.scenario.workload.clients = out.clients;
  } else {
    out.scenario.workload.rate_per_s = out.rate_per_s;
  }
  if (full.workload.mode == LoadMode::replay) {
    // Split by request: shard I replays requests I, I + N, I + 2N, ... of the trace.
    out.scenario.replay.shard_index = shard.index;
    out.scenario.replay.shard_count = n;
  }
  return out;
}

std::uint64_t shard_seed(std::uint64_t shared_seed, ShardSpec shard) noexcept {
  return shard.count <= 1 ? shared_seed
                          : mix64(shared_seed ^ mix64(static_cast<std::uint64_t>(shard.index)));
}

}  // namespace poolbench::scenario
