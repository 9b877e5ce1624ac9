#!/usr/bin/env bash
# TEST FIXTURE (see Containerfile beside this file): the official postgres image's entrypoint
# interface, written for poolbench's container tests.
#   docker-entrypoint.sh postgres -c name=value ...   initialize PGDATA if empty, then run
#   docker-entrypoint.sh -c name=value ...            the same (`postgres` is implied)
#   docker-entrypoint.sh other command                runs it as is
#   docker-ensure-initdb.sh [postgres args]           initialize PGDATA if empty, then exit 0
# Started as root, it owns PGDATA to postgres and runs itself again as postgres.
set -Eeuo pipefail

self=$(basename "$0")
if [[ "${1:-}" == -* || ($self == docker-ensure-initdb.sh && "${1:-}" != postgres) ]]; then
  set -- postgres "$@"
fi
if [[ "${1:-}" != postgres ]] || [[ " $* " =~ \ (--help|-\?|--version|-V|--describe-config)\  ]]; then
  exec "$@"
fi

if [[ $(id -u) == 0 ]]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  find "$PGDATA" /var/run/postgresql \! -user postgres -exec chown postgres: '{}' +
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

# The temporary server of the first start: socket only, so that a TCP health check
# (pg_isready -h 127.0.0.1) succeeds only once the real server runs.
temp_server() {
  local action=$1
  shift
  if [[ $action == start ]]; then
    set -- "$@" -c listen_addresses= -p 5432
    pg_ctl -D "$PGDATA" -w start -o "$(printf '%q ' "$@")"
  else
    pg_ctl -D "$PGDATA" -w -m fast stop
  fi
}

sql() {
  psql -v ON_ERROR_STOP=1 --no-psqlrc --no-password --username "$POSTGRES_USER" "$@"
}

initialize() {
  : "${POSTGRES_USER:=postgres}" "${POSTGRES_DB:=$POSTGRES_USER}"
  : "${POSTGRES_HOST_AUTH_METHOD:=}" "${POSTGRES_INITDB_ARGS:=}"
  if [[ -z ${POSTGRES_PASSWORD:-} && $POSTGRES_HOST_AUTH_METHOD != trust ]]; then
    echo "$self: error: PGDATA is empty and POSTGRES_PASSWORD is not set" \
      "(or POSTGRES_HOST_AUTH_METHOD=trust)" >&2
    exit 1
  fi
  # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of words, as in the original
  initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "${POSTGRES_PASSWORD:-}") \
    $POSTGRES_INITDB_ARGS
  local auth=$POSTGRES_HOST_AUTH_METHOD
  [[ -n $auth ]] || auth=$(postgres -C password_encryption "${@:2}")
  printf '\nhost all all all %s\n' "$auth" >>"$PGDATA/pg_hba.conf"

  export PGPASSWORD=${POSTGRES_PASSWORD:-}
  temp_server start "${@:2}"
  if [[ -z $(sql --dbname postgres --tuples-only --set db="$POSTGRES_DB" \
    <<<"SELECT 1 FROM pg_database WHERE datname = :'db'") ]]; then
    sql --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db"'
  fi
  local file
  shopt -s nullglob
  for file in /docker-entrypoint-initdb.d/*; do
    case $file in
      *.sh) echo "$self: running $file"; "$file" ;;
      *.sql) echo "$self: running $file"; sql --dbname "$POSTGRES_DB" -f "$file" ;;
      *) echo "$self: ignoring $file" ;;
    esac
  done
  temp_server stop
  unset PGPASSWORD
  echo "$self: PostgreSQL init process complete; ready for start up."
}

if [[ -s $PGDATA/PG_VERSION ]]; then
  echo "$self: PGDATA already holds a database; skipping initialization"
else
  initialize "$@"
fi
[[ $self == docker-ensure-initdb.sh ]] && exit 0
exec "$@"
