# The scenario model, YAML loader and dataset (included from src/CMakeLists.txt; paths are
# relative to src/).
target_sources(poolbench_core PRIVATE
  workload/dataset.cpp
  workload/event_loop.cpp
  workload/generator.cpp
  workload/recorder.cpp
  workload/scenario.cpp
  workload/scenario_loader.cpp)
