#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "scenario/scenario.hpp"

// How a distributed run (`--shard I/N`) splits the load over N poolbench processes. A shard
// is separate app instances (docs/cli.md, run --shard): it keeps the full pool settings and takes
// its part of the clients (closed loop), of the arrival rate (open loop) or of the trace's
// requests (replay: every N-th request, from the I-th).
//
// With K app instances (pool.instances or the pool.instances fleet) and N shards:
// - K >= N: instance i runs in shard i mod N, with its own share of the total clients or
//   rate (clients assigned by assign_clients over the whole fleet, so the shards' clients
//   add up exactly); the fleet's pools exist once in total.
// - K < N: every shard runs all K instances (its own pools, full settings) with 1/N of
//   the load (clients by largest remainder, so they add up exactly; rate / N); the
//   distributed run has K x N pools.

namespace poolbench::scenario {

struct ShardSpec {
  int index = 0;  ///< 0-based, < count
  int count = 1;  ///< >= 1
};

struct ShardLoad {
  Scenario scenario;                   ///< what this shard runs (its fleet, clients, rate)
  std::vector<std::string> instances;  ///< names of this shard's app instances
  int clients = 0;                     ///< closed loop: this shard's clients
  double rate_per_s = 0;               ///< open loop: this shard's mean arrival rate
  int total_pools = 1;                 ///< pools of all shards together (K or K x N)
};

/// This shard's part of `full`. Throws InputError when the shard would get no clients
/// (fewer clients than shards or than its instances need) or no instance.
ShardLoad shard_load(const Scenario& full, ShardSpec shard);

/// A seed of its own for each shard's random streams (arrivals, script values), derived
/// from the seed all shards share (which orders the cells alike on every shard): shards
/// with one seed would otherwise send identical, correlated arrival streams.
std::uint64_t shard_seed(std::uint64_t shared_seed, ShardSpec shard) noexcept;

}  // namespace poolbench::scenario
