# Integration tests of src/cluster/: a real embedded PostgreSQL (one shared per binary where
# possible), profiles applied and verified, SCRAM/TLS, and no leaked server on any exit path.
add_executable(cluster_child cluster/cluster_child.cpp)
target_link_libraries(cluster_child PRIVATE poolbench_core poolbench_warnings)

poolbench_add_gtest(integration_cluster SOURCES cluster/cluster_test.cpp
  LABELS integration TIMEOUT 300)
poolbench_add_gtest(integration_cluster_leaks SOURCES cluster/leak_test.cpp
  LABELS integration TIMEOUT 300)
target_compile_definitions(integration_cluster_leaks PRIVATE
  POOLBENCH_CLUSTER_CHILD="$<TARGET_FILE:cluster_child>")
add_dependencies(integration_cluster_leaks cluster_child)
