#!/usr/bin/env bash
# What collecting cells[].server_stats costs (docs/results.md): the same short scenario with
# server.stats false and true, against one local server (`poolbench server`, loopback TCP,
# so server_stats.os is read as well), and the throughput ratio on / off. Collection adds one
# query of the statistics views at each end of the measurement, two small queries and a
# /proc scan a second on the monitoring connection the cell has anyway; the ratio should be
# 1 within the noise, which the range over the rounds shows.
#   DURATION=10 ROUNDS=3 CLIENTS=4 BINARY=build/poolbench bench/server-stats-cost.sh
# CONTROL=1 runs the "on" side with server.stats false too: the on/off ratio of two identical
# settings is the noise the real ratio is to be read against.
# Each round runs both settings back to back (order alternating between rounds); the ratio
# printed is the median of the rounds' own ratios, with their range. Not a test: a shared
# machine is too noisy for a timed assertion.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/start-server.sh
duration=${DURATION:-10}
rounds=${ROUNDS:-3}
clients=${CLIENTS:-4}
on_stats=true
[[ ${CONTROL:-0} == 1 ]] && on_stats=false
binary=${BINARY:-build/poolbench}
[[ -x $binary ]] || { echo "build first: cmake --preset default && cmake --build --preset default" >&2; exit 2; }

work=$(mktemp -d)
trap 'kill $server_pid 2>/dev/null; wait $server_pid 2>/dev/null; rm -rf "$work"' EXIT
start_server "$binary" "$work"
echo "server: $dsn ($binary)"
log="$work/poolbench.log"

# run NAME STATS: one poolbench run of select_only with server.stats=STATS; prints its
# throughput (requests/s).
run() {
  local name=$1 stats=$2
  "$binary" run scenarios/select_only.yaml --dsn "$dsn" --quiet \
    --set workload.duration="${duration}s" --set workload.warmup=2s \
    --set workload.clients="$clients" --set server.stats="$stats" \
    --out "$work/$name" >/dev/null 2>>"$log" || { tail -20 "$log" >&2; exit 3; }
  /usr/bin/python3 -c "
import json, sys
print(round(json.load(open(sys.argv[1]))['cells'][0]['summary']['throughput_rps'], 1))" \
    "$work/$name/results.json"
}

median() { sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
range() { sort -g | awk 'NR == 1 {lo = $1} {hi = $1} END {printf "%.3f-%.3f", lo, hi}'; }

run init false >/dev/null  # the dataset, created once and reused by every run
off=() on=() ratios=()
for round in $(seq 1 "$rounds"); do
  if (( round % 2 )); then
    a=$(run "off-$round" false); b=$(run "on-$round" "$on_stats")
  else
    b=$(run "on-$round" "$on_stats"); a=$(run "off-$round" false)
  fi
  off+=("$a"); on+=("$b")
  ratios+=("$(awk -v x="$b" -v y="$a" 'BEGIN {printf "%.3f", x / y}')")
done
printf '%-14s %14s %14s %8s %14s   (median of %s rounds, %s s each, %s clients)\n' \
  scenario "stats off rps" "stats on rps" "on/off" range "$rounds" "$duration" "$clients"
printf '%-14s %14s %14s %8s %14s\n' "select_only$([[ $on_stats == false ]] && echo ' (control)')" \
  "$(printf '%s\n' "${off[@]}" | median)" "$(printf '%s\n' "${on[@]}" | median)" \
  "$(printf '%s\n' "${ratios[@]}" | median)" "$(printf '%s\n' "${ratios[@]}" | range)"
