#pragma once

// What the pool tests share: which fake connection a lease holds.

#include "pool/queue_pool.hpp"
#include "support/pool_fakes.hpp"

namespace poolbench::pool {

/// The id of the testing::FakeConnection `lease` holds (1, 2, 3, ... in creation order).
inline int id_of(const Lease& lease) {
  return lease.as<testing::FakeConnection>().id();
}

}  // namespace poolbench::pool
