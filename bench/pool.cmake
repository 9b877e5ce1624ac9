poolbench_add_bench(bench_pool SOURCES pool_bench.cpp ../tests/unit/pool/fakes.cpp)
