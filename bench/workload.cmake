# Benchmarks of src/workload/ (script engine).
poolbench_add_bench(workload_script_bench SOURCES workload_script_bench.cpp)
