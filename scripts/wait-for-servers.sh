#!/bin/sh
# In the container image as /usr/local/bin/wait-for-servers (Dockerfile): waits until every
# server named by a POOLBENCH_DSN* variable of the environment accepts connections
# (pg_isready), then runs its arguments. For Compose implementations that start a service
# without waiting for its dependencies' health checks (podman-compose 1.0 ignores
# `condition: service_healthy`); with Docker Compose the wait is already over.
#   wait-for-servers poolbench matrix scenarios/quickstart.yaml ...
#   POOLBENCH_WAIT_S=N  give up after N seconds (default 300): exit 3, as poolbench does
#                       when a server is unreachable
# Only variable names are printed, never a DSN (it may hold a password).
set -eu
deadline=$(($(date +%s) + ${POOLBENCH_WAIT_S:-300}))
for name in $(env | sed -n 's/^\(POOLBENCH_DSN[A-Z0-9_]*\)=.\{1,\}$/\1/p' | sort); do
  dsn=$(printenv "$name")
  until pg_isready --quiet --timeout=2 --dbname="$dsn"; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "wait-for-servers: the server of $name does not accept connections after" \
        "${POOLBENCH_WAIT_S:-300} s" >&2
      exit 3
    fi
    sleep 1
  done
done
exec "$@"
