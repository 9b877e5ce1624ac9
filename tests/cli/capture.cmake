# poolbench capture on a known workload: a 6 s run logged to csvlog and stderr, captured
# both ways and checked against the run; the pg_stat_statements form during an 8 s run;
# the workload's captured requests replayed at speed 1 and 2 (about 5 + 2.5 s).
poolbench_add_cli_test(cli_capture SOURCES capture_test.cpp TIMEOUT 240 SERIAL)
