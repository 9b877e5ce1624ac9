# poolbench report on committed fixtures (no database; needs gnuplot and /usr/bin/python3).
poolbench_add_cli_test(cli_report SOURCES report_test.cpp TIMEOUT 120)
