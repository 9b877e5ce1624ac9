// What a new connection costs, through the pool's connection factory (PgConnectionFactory),
// against embedded clusters set up for each authentication: trust, SCRAM-SHA-256, and
// SCRAM-SHA-256 over TLS (sslmode=require, the seeds' production setup). For comparison, a
// checkout of an idle pooled connection: the cost pooling replaces a connect with.
// Each connection is closed outside the timed region. Needs the PostgreSQL server binaries
// (as the integration tests do); a variant whose cluster cannot start is skipped with the
// reason.
#include <map>
#include <memory>
#include <string>

#include <benchmark/benchmark.h>

#include "cluster/cluster.hpp"
#include "pg/dsn.hpp"
#include "pg/pg_connection.hpp"
#include "pool/queue_pool.hpp"
#include "util/error.hpp"

namespace {

using poolbench::cluster::AuthMode;
using poolbench::cluster::Cluster;
using poolbench::cluster::ClusterOptions;

enum class Variant { trust, scram, scram_tls };

/// Clusters started on first use, stopped at the end of main (from the thread that started
/// them, as Cluster requires).
class Clusters {
 public:
  Cluster* get(Variant variant, std::string& error) {
    auto it = m_clusters.find(variant);
    if (it != m_clusters.end()) return it->second.get();
    ClusterOptions options;
    options.auth = variant == Variant::trust ? AuthMode::trust : AuthMode::scram;
    options.ssl = variant == Variant::scram_tls;
    try {
      auto cluster = std::make_unique<Cluster>(options);
      return m_clusters.emplace(variant, std::move(cluster)).first->second.get();
    } catch (const poolbench::Error& e) {
      error = e.what();
      return nullptr;
    }
  }
  void clear() { m_clusters.clear(); }

 private:
  std::map<Variant, std::unique_ptr<Cluster>> m_clusters;
};

Clusters& clusters() {
  static Clusters instance;
  return instance;
}

void BM_Connect(benchmark::State& state, Variant variant) {
  std::string error;
  Cluster* cluster = clusters().get(variant, error);
  if (cluster == nullptr) {
    state.SkipWithError(("embedded cluster unavailable: " + error).c_str());
    return;
  }
  poolbench::pg::PgConnectionFactory factory(
      poolbench::pg::parse_dsn(cluster->conninfo(), "embedded").target, "bench-connect");
  for (auto _ : state) {
    poolbench::pool::ConnectResult result = factory.connect();
    if (!result.connection) {
      state.SkipWithError(("connect failed: " + result.error).c_str());
      break;
    }
    state.PauseTiming();
    result.connection.reset();
    state.ResumeTiming();
  }
}

void BM_PooledCheckout(benchmark::State& state) {
  std::string error;
  Cluster* cluster = clusters().get(Variant::scram, error);
  if (cluster == nullptr) {
    state.SkipWithError(("embedded cluster unavailable: " + error).c_str());
    return;
  }
  poolbench::pg::PgConnectionFactory factory(
      poolbench::pg::parse_dsn(cluster->conninfo(), "embedded").target, "bench-pooled");
  poolbench::pool::PoolSettings settings;
  settings.pool_size = 1;
  settings.max_overflow = 0;
  settings.pool_pre_ping = state.range(0) != 0;
  poolbench::pool::QueuePool pool(settings, factory);
  for (auto _ : state) {
    poolbench::pool::AcquireResult result = pool.acquire();
    if (!result.ok()) {
      state.SkipWithError(("acquire failed: " + result.error).c_str());
      break;
    }
    benchmark::DoNotOptimize(result.lease);
  }
}

BENCHMARK_CAPTURE(BM_Connect, trust, Variant::trust)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Connect, scram, Variant::scram)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Connect, scram_tls, Variant::scram_tls)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PooledCheckout)->ArgName("pre_ping")->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  clusters().clear();
  return 0;
}
