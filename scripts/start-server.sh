# Sourced by the comparison scripts (scripts/compare-pgbench.sh, bench/*.sh), from the
# repository root. start_server BINARY WORK: starts `BINARY server --auth scram` in the
# background, its output in WORK/server.out and server.err, waits for its DSN (up to 60 s)
# and sets the globals server_pid and dsn; exits 3 with the server's errors when it gives
# none. The caller's EXIT trap stops it: kill $server_pid; wait $server_pid.
start_server() {
  local binary=$1 work=$2
  "$binary" server --auth scram >"$work/server.out" 2>"$work/server.err" &
  server_pid=$!
  for _ in $(seq 1 120); do
    grep -q 'DSN: *postgresql://' "$work/server.out" 2>/dev/null && break
    sleep 0.5
  done
  dsn=$(grep -m1 -o 'postgresql://[^ ]*' "$work/server.out") || {
    cat "$work/server.err" >&2
    exit 3
  }
}
