poolbench_add_bench(bench_pool SOURCES pool_bench.cpp)
