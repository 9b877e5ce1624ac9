poolbench_add_cli_test(cli_scenario SOURCES scenario_test.cpp TIMEOUT 120 SERIAL)
