#!/usr/bin/env bash
# Pipelined SET/GET throughput against one redis-server, in one run: AsyncioRedis (asyncio-bench redis,
# batch and tasks modes), redis-py's asyncio client (Benchmarks/py/redis_py_bench.py; `pip install redis`
# if missing) and redis-benchmark (C), all with the same shape: CONNECTIONS connections, PIPELINE commands
# in flight on each, REQUESTS commands per test, for each connection count of CONNECTIONS (50 is
# redis-benchmark's default, where the server is the bottleneck; with 1 the client's own cost shows).
# The server runs on cpu0, each client in turn on cpu1.
# usage: bash Benchmarks/redis-compare.sh   (CONNECTIONS="1 50" PIPELINE=16 REQUESTS=1000000
#        PY_REQUESTS=100000 PORT=27500 OUT=results dir; redis-py is far slower, so it gets fewer
#        requests: throughput is a rate)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$HERE/results}
PY=${PYTHON:-python3}
PORT=${PORT:-27500}
CONNECTIONS=${CONNECTIONS:-1 50}
P=${PIPELINE:-16}
N=${REQUESTS:-1000000}
PYN=${PY_REQUESTS:-100000}
mkdir -p "$OUT"
RESULTS="$OUT/redis-compare-$(date +%Y%m%d-%H%M%S).jsonl"
: > "$RESULTS"

for tool in redis-server redis-cli redis-benchmark taskset; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: run 'make deps' (redis-server, redis-tools) / util-linux"; exit 1; }
done
$PY -c "import redis" 2>/dev/null || $PY -m pip install -q redis

echo "== building (release)"
swift build -c release --package-path "$HERE" --product asyncio-bench 2>&1 | tail -1
BENCH="$HERE/.build/release/asyncio-bench"

echo "== redis-server on cpu0, port $PORT"
taskset -c 0 redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
  --logfile "$OUT/redis-server.log" &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  [ "$(redis-cli -p "$PORT" ping 2>/dev/null)" = PONG ] && break
  kill -0 "$SERVER" 2>/dev/null || { echo "redis-server did not start (log: $OUT/redis-server.log)"; exit 1; }
  sleep 0.05
done
[ "$(redis-cli -p "$PORT" ping)" = PONG ]

for C in $CONNECTIONS; do
  echo "== clients on cpu1: $C connection(s) x $P in flight (load: $(cut -d' ' -f1-3 /proc/loadavg))"
  for mode in batch tasks; do
    taskset -c 1 "$BENCH" redis --port "$PORT" --connections "$C" --pipeline "$P" --n "$N" --mode "$mode" | tee -a "$RESULTS"
  done
  taskset -c 1 $PY "$HERE/py/redis_py_bench.py" --port "$PORT" --connections "$C" --pipeline "$P" --n "$PYN" | tee -a "$RESULTS"
  taskset -c 1 redis-benchmark -p "$PORT" -c "$C" -P "$P" -n "$N" -t set,get --csv | $PY -c '
import csv, json, sys
for row in csv.DictReader(sys.stdin):
    print(json.dumps({"impl": "redis-benchmark", "workload": "redis_%s_P'"$P"'" % row["test"].lower(), "n": '"$N"',
                      "requests_per_s": round(float(row["rps"])), "connections": '"$C"',
                      "p50_us": round(float(row["p50_latency_ms"]) * 1000), "p99_us": round(float(row["p99_latency_ms"]) * 1000)}))
' | tee -a "$RESULTS"
done
echo
echo "Results: $RESULTS ($(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m), $(redis-server --version | cut -d' ' -f3))"
$PY - "$RESULTS" <<'PYEOF'
import json, sys
rows = {}
for line in open(sys.argv[1]):
    if line.startswith("{"):
        d = json.loads(line)
        rows.setdefault("%s, %d conn." % (d["workload"], d["connections"]), {})[d["impl"]] = d
impls = ["asyncio-redis-batch", "asyncio-redis-tasks", "redis-py-asyncio", "redis-benchmark"]
print("| test | " + " | ".join(impls) + " | batch vs redis-py | batch vs redis-benchmark | tasks vs redis-py |")
print("|---" * (len(impls) + 4) + "|")
for workload, by in rows.items():
    cells = [("%d/s (p50 %d µs, p99 %d µs)" % (by[i]["requests_per_s"], by[i]["p50_us"], by[i]["p99_us"])) if i in by else "–" for i in impls]
    def ratio(a, b):
        return "%.2f×" % (by[a]["requests_per_s"] / by[b]["requests_per_s"]) if a in by and b in by else "–"
    print("| %s | %s | %s | %s | %s |" % (workload, " | ".join(cells), ratio(impls[0], impls[2]), ratio(impls[0], impls[3]), ratio(impls[1], impls[2])))
PYEOF
