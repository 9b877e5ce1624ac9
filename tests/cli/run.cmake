poolbench_add_cli_test(cli_run SOURCES run_test.cpp TIMEOUT 180 SERIAL)
# Passwords given every way (URL, key=value, passfile, PGPASSFILE, PGPASSWORD, config.yaml)
# appear in no output of a successful run against `poolbench server` (one server, 11 runs);
# nor in anything matrix (with faults), report, compare, sharded runs and merge write.
poolbench_add_cli_test(cli_run_secrets SOURCES secrets_test.cpp TIMEOUT 180 SERIAL)
# dataset.setup and --app-config: scenario and pool-setting inputs end to end.
poolbench_add_cli_test(cli_run_inputs SOURCES dataset_setup_test.cpp app_config_test.cpp
  TIMEOUT 60 SERIAL)
# The shipped read_heavy scenario for 5 s at scale 1, results validated against the schema.
poolbench_add_cli_test(cli_run_read_heavy SOURCES read_heavy_test.cpp TIMEOUT 90 SERIAL)
# Distributed load: shards run concurrently against one `poolbench server` and merged
# (two runs of about 12 s each), plus bad input of --shard, --start-at and merge.
poolbench_add_cli_test(cli_shard SOURCES shard_test.cpp TIMEOUT 180 SERIAL)
# Fault injection: each kind in a 7 s run against the embedded server (about 45 s in all).
poolbench_add_cli_test(cli_faults SOURCES faults_test.cpp TIMEOUT 240 SERIAL)
# Every arrival accounted for: drops miss the SLO and are never adequate (two 4 s runs and a
# 2-cell matrix), and a flooded generator marks its cell invalid (~5 s).
poolbench_add_cli_test(cli_accounting SOURCES accounting_test.cpp TIMEOUT 180 SERIAL)
# Coordinated omission shown: a 2 s stall in an open and in a closed loop (two 7 s runs).
poolbench_add_cli_test(cli_coordinated_omission SOURCES coordinated_omission_test.cpp
  TIMEOUT 120 SERIAL)
