# The scenario model and YAML loader (included from src/CMakeLists.txt; paths relative to src/).
target_sources(poolbench_core PRIVATE
  workload/scenario.cpp
  workload/scenario_loader.cpp)
