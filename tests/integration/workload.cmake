# Integration tests of the load generator against the embedded cluster (src/workload/ over
# src/pg/ and src/pool/): what a real server and real connects do to a run.
poolbench_add_gtest(integration_generator
  SOURCES workload/connection_work_test.cpp
  LABELS integration TIMEOUT 300)
# cells[].server_stats of real cells (src/matrix/ over the embedded cluster).
poolbench_add_gtest(integration_server_stats
  SOURCES matrix/server_stats_test.cpp
  LABELS integration TIMEOUT 300)
