poolbench_add_cli_test(cli_matrix SOURCES matrix_test.cpp TIMEOUT 240 SERIAL)
poolbench_add_cli_test(cli_erlang SOURCES erlang_test.cpp TIMEOUT 180 SERIAL)
poolbench_add_cli_test(cli_protocol SOURCES protocol_test.cpp TIMEOUT 180 SERIAL)
