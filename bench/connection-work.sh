#!/usr/bin/env bash
# What one client's connection work costs the other clients of its worker thread, as two
# ratios measured in one run against one embedded SCRAM server (loopback TCP):
#   pre-ping  4 clients, pool 4 + 0, pool_pre_ping, point reads (closed loop): throughput
#             at --threads 2 / at --threads 4                      (target >= 0.9)
#   churn     open loop 400 rps, pool 8 + 0, pool_recycle 0.5 s, point reads: p90 latency
#             at --threads 2 / at --threads 16                     (target <= 1.5)
# With connects and pings on the event loop the thread count should not matter; when they
# block a worker thread, fewer threads means more clients stalled by each one. Each case
# has a control row without the connection work (pre-ping off, no recycle): on a shared
# machine more threads also win a larger share of the CPUs, whatever the pool does, and
# the control row shows how much of a ratio is that.
#   DURATION=10 ROUNDS=3 BINARY=build/poolbench bench/connection-work.sh
# Each round runs both thread counts back to back (order alternating between rounds); the
# ratio printed is the median of the rounds' own ratios, with their range.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/start-server.sh
duration=${DURATION:-10}
rounds=${ROUNDS:-3}
binary=${BINARY:-build/poolbench}
[[ -x $binary ]] || { echo "build first: cmake --preset default && cmake --build --preset default" >&2; exit 2; }

work=$(mktemp -d)
trap 'kill $server_pid 2>/dev/null; wait $server_pid 2>/dev/null; rm -rf "$work"' EXIT
start_server "$binary" "$work"
echo "server: $dsn ($binary)"
log="$work/poolbench.log"

# run NAME THREADS KEY [--set ...]: one poolbench run; prints the summary value KEY
# (throughput_rps, or latency_ms.p90).
run() {
  local name=$1 threads=$2 key=$3
  shift 3
  "$binary" run scenarios/select_only.yaml --dsn "$dsn" --quiet --threads "$threads" \
    --set workload.duration="${duration}s" --set workload.warmup=2s "$@" \
    --out "$work/$name" >/dev/null 2>>"$log" || { tail -20 "$log" >&2; exit 3; }
  /usr/bin/python3 -c "
import json, sys
summary = json.load(open(sys.argv[1]))['cells'][0]['summary']
value = summary
for part in sys.argv[2].split('.'):
    value = value[part]
print(round(value, 3))" "$work/$name/results.json" "$key"
}

median() { sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
range() { sort -g | awk 'NR == 1 {lo = $1} {hi = $1} END {printf "%.2f-%.2f", lo, hi}'; }

# compare LABEL KEY THREADS_A THREADS_B [--set ...]: ROUNDS paired runs; prints one line.
compare() {
  local label=$1 key=$2 a=$3 b=$4
  shift 4
  local values_a=() values_b=() ratios=()
  for round in $(seq 1 "$rounds"); do
    local va vb
    if (( round % 2 )); then
      va=$(run "$label-a-$round" "$a" "$key" "$@")
      vb=$(run "$label-b-$round" "$b" "$key" "$@")
    else
      vb=$(run "$label-b-$round" "$b" "$key" "$@")
      va=$(run "$label-a-$round" "$a" "$key" "$@")
    fi
    values_a+=("$va")
    values_b+=("$vb")
    ratios+=("$(awk -v x="$va" -v y="$vb" 'BEGIN {printf "%.3f", x / y}')")
  done
  printf '%-9s %-16s %12s %12s %8s %12s\n' "$label" "$key" \
    "$(printf '%s\n' "${values_a[@]}" | median)" "$(printf '%s\n' "${values_b[@]}" | median)" \
    "$(printf '%s\n' "${ratios[@]}" | median)" "$(printf '%s\n' "${ratios[@]}" | range)"
}

# The dataset (scale 10), created once and reused by every run.
run init 1 throughput_rps --set workload.duration=1s --set workload.warmup=0s >/dev/null

printf '%-9s %-16s %12s %12s %8s %12s   (median of %s rounds, %s s each)\n' \
  case metric "threads A" "threads B" "A / B" range "$rounds" "$duration"
compare pre-ping throughput_rps 2 4 \
  --set workload.clients=4 --set pool.pool_size=4 --set pool.max_overflow=0 \
  --set pool.pool_pre_ping=true
compare control throughput_rps 2 4 \
  --set workload.clients=4 --set pool.pool_size=4 --set pool.max_overflow=0 \
  --set pool.pool_pre_ping=false
compare churn latency_ms.p90 2 16 \
  --set workload.mode=open --set workload.rate=400 --set pool.pool_size=8 \
  --set pool.max_overflow=0 --set pool.pool_recycle=500ms
compare control latency_ms.p90 2 16 \
  --set workload.mode=open --set workload.rate=400 --set pool.pool_size=8 \
  --set pool.max_overflow=0 --set pool.pool_recycle=-1
echo "A = --threads 2; B = --threads 4 (pre-ping) or 16 (churn)."
echo "targets: pre-ping A / B >= 0.9 (throughput), churn A / B <= 1.5 (p90 latency)"
