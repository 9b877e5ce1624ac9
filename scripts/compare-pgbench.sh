#!/usr/bin/env bash
# Compares poolbench's throughput with pgbench's on one embedded server in one run:
# pgbench -S -M PROTOCOL and scenarios/select_only.yaml with workload.protocol=PROTOCOL
# (pool_size = clients, no overflow) at each client count, printing the TPS of each and the
# ratio poolbench / pgbench.
#   DURATION=10 ROUNDS=5 scripts/compare-pgbench.sh   (seconds per measurement, rounds per point)
#   PROTOCOLS="simple extended prepared" CLIENTS=4 scripts/compare-pgbench.sh
# PROTOCOLS: pgbench -M modes, each also poolbench's workload.protocol (default prepared);
# CLIENTS: the client counts (default 1 2 4 8 32).
# Both use 2 threads (pgbench -j 2, poolbench --threads 2); the server shares the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/start-server.sh
duration=${DURATION:-10}
protocols=${PROTOCOLS:-prepared}
client_counts=${CLIENTS:-1 2 4 8 32}
for protocol in $protocols; do
  case $protocol in
    simple | extended | prepared) ;;
    *) echo "PROTOCOLS: '$protocol' is not a pgbench -M mode (simple, extended or prepared)" >&2; exit 2 ;;
  esac
done
binary=build/poolbench
[[ -x $binary ]] || { echo "build first: cmake --preset default && cmake --build --preset default" >&2; exit 2; }
pgbench=$(ls /usr/lib/postgresql/*/bin/pgbench 2>/dev/null | sort -V | tail -1)
pgbench=${pgbench:-$(command -v pgbench)}

work=$(mktemp -d)
trap 'kill $server_pid 2>/dev/null; wait $server_pid 2>/dev/null; rm -rf "$work"' EXIT
start_server "$binary" "$work"
echo "server: $dsn"

# Tables at scale 10, created once by poolbench (reused by every later run).
# poolbench's own report (pool settings, summary) goes to a log; the table is the output.
log="$work/poolbench.log"
"$binary" run scenarios/select_only.yaml --dsn "$dsn" --quiet \
  --set workload.duration=1s --set workload.warmup=0s --out "$work/init" >/dev/null 2>>"$log" ||
  { cat "$log" >&2; exit 3; }

# Each point is measured ROUNDS times, pgbench and poolbench back to back, and the medians
# are reported: one 5 s point on a shared 2-core machine says little. `ratio` is the median
# of the rounds' own ratios (each poolbench run against the pgbench run just before it, so
# slow drifts of the machine cancel); `range` is their lowest and highest.
rounds=${ROUNDS:-3}
median() { sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
printf '%9s %8s %12s %12s %8s %12s   (median of %s rounds each)\n' \
  protocol clients pgbench_tps poolbench_tps ratio range "$rounds"
for protocol in $protocols; do
for clients in $client_counts; do
  threads=$(( clients < 2 ? 1 : 2 ))
  pg_all=()
  pb_all=()
  ratios=()
  for round in $(seq 1 "$rounds"); do
    pg=$("$pgbench" -n -S -M "$protocol" -c "$clients" -j "$threads" -T "$duration" "$dsn" 2>/dev/null |
           awk '/^tps = / {print $3; exit}')
    out="$work/$protocol-c$clients-$round"
    "$binary" run scenarios/select_only.yaml --dsn "$dsn" --quiet --threads "$threads" \
      --set workload.clients="$clients" --set pool.pool_size="$clients" --set pool.max_overflow=0 \
      --set workload.protocol="$protocol" \
      --set workload.duration="${duration}s" --set workload.warmup=2s --out "$out" \
      >/dev/null 2>>"$log" || { tail -20 "$log" >&2; exit 3; }
    pb=$(/usr/bin/python3 -c "import json,sys; print(round(json.load(open(sys.argv[1]))['cells'][0]['summary']['throughput_rps'],1))" "$out/results.json")
    pg_all+=("$pg")
    pb_all+=("$pb")
    ratios+=("$(awk -v a="$pb" -v b="$pg" 'BEGIN {printf "%.3f", a / b}')")
  done
  pg_tps=$(printf '%s\n' "${pg_all[@]}" | median)
  pb_tps=$(printf '%s\n' "${pb_all[@]}" | median)
  ratio=$(printf '%s\n' "${ratios[@]}" | median)
  range=$(printf '%s\n' "${ratios[@]}" | sort -g | awk 'NR == 1 {lo = $1} {hi = $1} END {printf "%.2f-%.2f", lo, hi}')
  printf '%9s %8s %12.0f %12.0f %8.2f %12s\n' "$protocol" "$clients" "$pg_tps" "$pb_tps" "$ratio" "$range"
done
done
