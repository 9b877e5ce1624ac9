#!/usr/bin/env bash
# The instrument's memory: poolbench's peak RSS (GNU time's "Maximum resident set size") for
# 1,000 and 10,000 closed-loop clients and two run lengths, against one embedded server.
# Every client waits its turn for one of 20 pooled connections (point reads, no think
# time), so the clients, not the connections, are what grows. The peak should stay flat in
# the run length (no per-request or per-second growth beyond the time series) and grow
# little with the clients (a client is a state machine, not a thread).
#   SHORT=10 LONG=40 BINARY=build/poolbench bench/memory-by-clients.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/start-server.sh
short=${SHORT:-10}
long=${LONG:-40}
binary=${BINARY:-build/poolbench}
[[ -x $binary ]] || { echo "build first: cmake --preset default && cmake --build --preset default" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "needs GNU time: scripts/install-deps.sh --bench" >&2; exit 2; }

work=$(mktemp -d)
trap 'kill $server_pid 2>/dev/null; wait $server_pid 2>/dev/null; rm -rf "$work"' EXIT
start_server "$binary" "$work"
echo "server: $dsn ($binary)"
log="$work/log"
"$binary" run scenarios/select_only.yaml --dsn "$dsn" --quiet --set workload.duration=1s \
  --set workload.warmup=0s --out "$work/init" >/dev/null 2>>"$log" || { cat "$log" >&2; exit 3; }

printf '%8s %10s %12s %14s\n' clients duration_s peak_rss_mb throughput_rps
for clients in 1000 10000; do
  for duration in $short $long; do
    out="$work/c$clients-d$duration"
    /usr/bin/time -f '%M' -o "$work/rss" "$binary" run scenarios/select_only.yaml --dsn "$dsn" \
      --quiet --threads 2 --set workload.clients="$clients" --set pool.pool_size=20 \
      --set pool.max_overflow=0 --set pool.pool_timeout=120s \
      --set workload.duration="${duration}s" --set workload.warmup=1s --out "$out" \
      >/dev/null 2>>"$log" || { tail -20 "$log" >&2; exit 3; }
    rss_kb=$(tail -1 "$work/rss")
    tps=$(/usr/bin/python3 -c "import json,sys; print(round(json.load(open(sys.argv[1]))['cells'][0]['summary']['throughput_rps']))" "$out/results.json")
    printf '%8s %10s %12.1f %14s\n' "$clients" "$duration" "$(awk -v k="$rss_kb" 'BEGIN {print k / 1024}')" "$tps"
  done
done
