poolbench_add_cli_test(cli_run SOURCES run_test.cpp TIMEOUT 180 SERIAL)
