#!/usr/bin/env bash
# The instrument's own cost: client instructions per select-only request, poolbench's worker
# thread (pool + script + histograms + libpq) against pgbench -S -M prepared -c 1's client
# thread, on one embedded SCRAM server, counted by callgrind (--separate-threads=yes) as
#   (Ir at 3000 requests - Ir at 1000 requests) / 2000
# so start-up, connecting and the dataset check cancel out. Target: poolbench <= pgbench.
# Each figure is the median of ROUNDS such differences. poolbench's per-second work (each
# second's histogram encoded) counts too, spread over the requests of that second: under
# callgrind a request takes ~50x longer than natively, so that share is ~50x too large here,
# and it varies with how many seconds each run lasted (machine load). The last column shows
# poolbench's figure without it (Recorder::close_current, inclusive, taken out of both runs).
#   ROUNDS=3 BINARY=build/poolbench bench/instructions-vs-pgbench.sh
# PROTOCOL=simple|extended|prepared (default prepared) sets pgbench -M and poolbench's
# workload.protocol alike.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/start-server.sh
binary=${BINARY:-build/poolbench}
[[ -x $binary ]] || { echo "build first: cmake --preset default && cmake --build --preset default" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "needs valgrind: scripts/install-deps.sh --bench" >&2; exit 2; }
pgbench=$(ls /usr/lib/postgresql/*/bin/pgbench 2>/dev/null | sort -V | tail -1)
pgbench=${pgbench:-$(command -v pgbench)}
small=1000
large=3000
rounds=${ROUNDS:-3}
protocol=${PROTOCOL:-prepared}
# The libpq call that marks the client thread's profile under each protocol.
case $protocol in
  simple) marker='PQsendQuery\b' ;;
  extended) marker=PQsendQueryParams ;;
  prepared) marker=PQsendQueryPrepared ;;
  *) echo "PROTOCOL: '$protocol' is not a pgbench -M mode (simple, extended or prepared)" >&2; exit 2 ;;
esac

work=$(mktemp -d)
trap 'kill $server_pid 2>/dev/null; wait $server_pid 2>/dev/null; rm -rf "$work"' EXIT
start_server "$binary" "$work"
echo "server: $dsn ($binary)"
log="$work/log"
"$binary" run scenarios/select_only.yaml --dsn "$dsn" --quiet --set workload.duration=1s \
  --set workload.warmup=0s --out "$work/init" >/dev/null 2>>"$log" || { cat "$log" >&2; exit 3; }

# ir FILE: the total instructions (Ir) of one callgrind output file.
ir() { awk '/^(summary|totals):/ {print $2; exit}' "$1"; }

# thread_file PREFIX SYMBOL: the profile of the thread whose profile contains SYMBOL (the
# client's) and has the most instructions.
thread_file() {
  local best=-1 file pick=""
  for file in "$1"*; do
    if grep -q "$2" "$file"; then
      local value
      value=$(ir "$file")
      (( value > best )) && best=$value && pick=$file
    fi
  done
  echo "$pick"
}

# thread_ir PREFIX SYMBOL: Ir of that thread.
thread_ir() { ir "$(thread_file "$1" "$2")"; }

# per_second_ir FILE: inclusive Ir of the per-second work (each second's histogram closed).
per_second_ir() {
  callgrind_annotate --inclusive=yes --threshold=100 --auto=no "$1" |
    awk '!found && /Recorder::close_current\(\) \[/ {gsub(",", "", $1); print $1; found = 1}
         END {if (!found) print 0}'
}

callgrind() {
  valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$1.%p" "${@:2}" \
    >>"$log" 2>&1 || { tail -20 "$log" >&2; exit 3; }
}

median() { sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
pg_per=()
pb_per=()
pb_bare=()
for round in $(seq 1 "$rounds"); do
  for n in $small $large; do
    callgrind "$work/pgbench-$round-$n" "$pgbench" -n -S -M "$protocol" -c 1 -j 1 -t "$n" "$dsn"
    callgrind "$work/poolbench-$round-$n" "$binary" run scenarios/select_only.yaml --dsn "$dsn" \
      --quiet --threads 1 --set workload.clients=1 --set pool.pool_size=1 \
      --set pool.max_overflow=0 --set workload.transactions="$n" --set workload.warmup=0s \
      --set workload.protocol="$protocol" \
      --out "$work/out-$round-$n"
  done
  pg_small=$(thread_ir "$work/pgbench-$round-$small" "$marker")
  pg_large=$(thread_ir "$work/pgbench-$round-$large" "$marker")
  pb_small=$(thread_ir "$work/poolbench-$round-$small" "$marker")
  pb_large=$(thread_ir "$work/poolbench-$round-$large" "$marker")
  pg_per+=("$(( (pg_large - pg_small) / (large - small) ))")
  pb_per+=("$(( (pb_large - pb_small) / (large - small) ))")
  ps_small=$(per_second_ir "$(thread_file "$work/poolbench-$round-$small" "$marker")")
  ps_large=$(per_second_ir "$(thread_file "$work/poolbench-$round-$large" "$marker")")
  pb_bare+=("$(( (pb_large - ps_large - pb_small + ps_small) / (large - small) ))")
done
pg=$(printf '%s\n' "${pg_per[@]}" | median)
pb=$(printf '%s\n' "${pb_per[@]}" | median)
bare=$(printf '%s\n' "${pb_bare[@]}" | median)
printf '%-28s %14s   %s\n' "client thread" "Ir per request" "(median of $rounds; each round)"
printf '%-28s %14.0f   %s\n' "pgbench -S -M $protocol -c 1" "$pg" "${pg_per[*]}"
printf '%-28s %14.0f   %s\n' "poolbench select_only" "$pb" "${pb_per[*]}"
printf '%-28s %14.0f   %s\n' "  without per-second work" "$bare" "${pb_bare[*]}"
awk -v a="$pb" -v b="$pg" 'BEGIN {printf "%-28s %14.2f   (target <= 1.00)\n", "ratio poolbench / pgbench", a / b}'
