# Integration tests of the load generator against the embedded cluster (src/workload/ over
# src/pg/ and src/pool/): what a real server and real connects do to a run.
poolbench_add_gtest(integration_generator
  SOURCES workload/connection_work_test.cpp
  LABELS integration TIMEOUT 300)

# workload.protocol: what the server saw under each protocol, values quoted in simple mode.
poolbench_add_gtest(integration_protocol
  SOURCES workload/protocol_test.cpp
  LABELS integration TIMEOUT 300)

# Scripts run by poolbench and by the real pgbench on the same server give the same tables.
poolbench_add_gtest(integration_script_conformance
  SOURCES workload/script_conformance_test.cpp
  LABELS integration TIMEOUT 300)
target_link_libraries(integration_script_conformance PRIVATE poolbench_cli_test_support)

# cells[].server_stats of real cells (src/matrix/ over the embedded cluster).
poolbench_add_gtest(integration_server_stats
  SOURCES matrix/server_stats_test.cpp
  LABELS integration TIMEOUT 300)
target_link_libraries(integration_server_stats PRIVATE poolbench_cli_test_support)
