# Benchmarks of src/script/ (the script engine).
poolbench_add_bench(workload_script_bench SOURCES workload_script_bench.cpp)
# The generator's self-overhead against the in-process fake server (no database).
poolbench_add_bench(bench_generator SOURCES generator_bench.cpp)
