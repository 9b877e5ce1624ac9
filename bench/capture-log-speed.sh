#!/bin/sh
# How fast `poolbench capture --log` reads csvlog (README "Speed"; issue 17 asks for >= 100
# MB per minute). Writes a synthetic PostgreSQL 15 csvlog of about SIZE_MB (default 120) in
# the shape of tests/cli/capture/mixed.yaml's log (sessions of BEGIN, a SELECT with a
# parameter, an UPDATE, ROLLBACK or COMMIT, each with parse/bind/execute lines), captures
# it once and prints MB/min of wall time (and the CPU time /usr/bin/time reports).
# Usage: bench/capture-log-speed.sh [BUILD_DIR] [SIZE_MB]
set -eu
build=${1:-build}
size_mb=${2:-120}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work/pg.csv" "$size_mb" <<'PY'
import sys, datetime
path, size_mb = sys.argv[1], int(sys.argv[2])
t0 = datetime.datetime(2026, 12, 3, 10, 0, 0)
def line(t, pid, session, n, message, detail=""):
    ts = (t0 + datetime.timedelta(microseconds=t)).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    message = message.replace('"', '""')
    return (f'{ts} UTC,"app","shop",{pid},"10.0.0.7:{40000 + pid % 20000}",{session},{n},'
            f'"SELECT",2026-12-03 10:00:00 UTC,3/{n},0,LOG,00000,"{message}","{detail}",'
            f',,,,,,,"app",client backend,,0\n')
out = open(path, "w")
written, t, request = 0, 0, 0
while written < size_mb * 1_000_000:
    pid = 1000 + request % 16
    session = f"6b11487e.{pid:x}"
    steps = [("BEGIN", ""), ("SELECT abalance FROM pgbench_accounts WHERE aid = $1",
             f"parameters: $1 = '{(request * 7919) % 100000}'")]
    if request % 3 == 0:
        steps += [("UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2",
                   f"parameters: $1 = '{request % 5000}', $2 = '{(request * 31) % 100000}'"),
                  ("COMMIT", "")]
    chunk = []
    for n, (sql, detail) in enumerate(steps):
        for phase in ("parse", "bind", "execute"):
            t += 40
            chunk.append(line(t, pid, session, n, f"duration: 0.030 ms  {phase} S_{n}: {sql}",
                              detail if phase != "parse" else ""))
    if request % 3 != 0:
        t += 40
        chunk.append(line(t, pid, session, 9, "duration: 0.010 ms  statement: ROLLBACK"))
    t += 2000
    text = "".join(chunk)
    out.write(text)
    written += len(text)
    request += 1
out.close()
PY
bytes=$(stat -c %s "$work/pg.csv")
start=$(date +%s.%N)
/usr/bin/time -f "%U %S %M" -o "$work/time" "$build/poolbench" capture --log "$work/pg.csv" \
  --out "$work/out" > "$work/summary"
end=$(date +%s.%N)
read -r user sys max_kb < "$work/time"
python3 - "$bytes" "$start" "$end" "$user" "$sys" "$max_kb" <<'PY'
import sys
size, start, end, user, sys_s, kb = (float(x) for x in sys.argv[1:])
wall = end - start
print(f"csvlog {size / 1e6:.1f} MB captured in {wall:.2f} s wall ({user + sys_s:.2f} s CPU, "
      f"max RSS {kb / 1024:.0f} MB): {size / 1e6 / wall * 60:.0f} MB/min")
PY
head -4 "$work/summary"
