# Integration tests of src/pg/ against the embedded cluster (src/cluster/): the libpq
# connection, its error taxonomy on real errors, and the QueuePool over PgConnectionFactory.
poolbench_add_gtest(integration_pg
  SOURCES pg/pg_connection_test.cpp pg/pool_pg_test.cpp
  LABELS integration TIMEOUT 300)
