# CLI tests of `poolbench profiles` (embedded server and --dsn) and `poolbench server`.
poolbench_add_cli_test(cli_cluster SOURCES cluster_profiles_test.cpp cluster_server_test.cpp
  TIMEOUT 300)
