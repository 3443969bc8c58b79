#!/usr/bin/env bash
# Runs our workloads (loop, Swift's default executor, SwiftNIO) and, in the same run, the anchors of
# ../shared/benchmarks (CPython asyncio, uvloop, raw libuv C), then prints one markdown table.
# usage: bash Benchmarks/compare.sh            (OUT=results dir, ANCHORS=path to the anchors kit)
# tcp_echo: server and client both pinned to cpu0 (taskset -c 0), 50 connections, 200,000 messages.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ANCHORS=${ANCHORS:-$(cd "$HERE/../../shared/benchmarks/anchors" 2>/dev/null && pwd || true)}
OUT=${OUT:-$HERE/results}
PY=${PYTHON:-python3}
PORT=${PORT_BASE:-27400}
mkdir -p "$OUT"
RESULTS="$OUT/compare-$(date +%Y%m%d-%H%M%S).jsonl"
: > "$RESULTS"

[ -d "$ANCHORS" ] || { echo "anchors kit not found (set ANCHORS=.../shared/benchmarks/anchors)"; exit 1; }
command -v taskset >/dev/null || { echo "taskset is missing (util-linux)"; exit 1; }
if ! pkg-config --exists libuv; then echo "libuv1-dev is missing: run 'make deps' first"; exit 1; fi
$PY -c "import uvloop" 2>/dev/null || $PY -m pip install -q uvloop

echo "== building (release)"
swift build -c release --package-path "$HERE" --product asyncio-bench 2>&1 | tail -1
BENCH="$HERE/.build/release/asyncio-bench"
cc -O2 -o /tmp/asyncio_echo_client "$ANCHORS/echo_client.c"
cc -O2 -o /tmp/asyncio_uv_echo_server "$ANCHORS/c/uv_echo_server.c" -luv
cc -O2 -o /tmp/asyncio_uv_call_soon "$ANCHORS/c/uv_call_soon.c" -luv
cc -O2 -o /tmp/asyncio_uv_queue_work "$HERE/c/uv_queue_work.c" -luv   # ours: libuv's own pool, for executor

echo "== micro workloads (load: $(cut -d' ' -f1-3 /proc/loadavg))"
for w in call_soon call_soon_chain call_soon_threadsafe timers tasks yield queue_pingpong lock executor memory; do
  for impl in loop default nio; do "$BENCH" "$w" --impl "$impl" | tee -a "$RESULTS"; done
  py=$w; [ "$w" = yield ] && py=yield_
  for impl in asyncio uvloop; do
    $PY "$ANCHORS/py/$py.py" --impl "$impl" | tee -a "$RESULTS" || echo "{\"impl\":\"$impl\",\"workload\":\"$w\",\"error\":\"failed\"}" >> "$RESULTS"
  done
done
/tmp/asyncio_uv_call_soon | tee -a "$RESULTS"
/tmp/asyncio_uv_queue_work 20000 | tee -a "$RESULTS"

wait_port() {
  for _ in $(seq 1 200); do
    kill -0 "$2" 2>/dev/null || return 1
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}
run_echo() {  # run_echo LABEL CMD... (port appended by the caller)
  local label=$1; shift
  taskset -c 0 "$@" >/dev/null 2>&1 &
  local pid=$!
  if ! wait_port "$PORT" "$pid"; then
    echo "{\"impl\":\"$label\",\"workload\":\"tcp_echo\",\"error\":\"server did not start\"}" | tee -a "$RESULTS"
    kill "$pid" 2>/dev/null || true; return
  fi
  sleep 0.2
  for size in 1024 4096; do
    taskset -c 0 /tmp/asyncio_echo_client 127.0.0.1 "$PORT" 50 "$size" 200000 \
      | sed "s/^{/{\"impl\":\"$label\",\"workload\":\"tcp_echo_$((size / 1024))k\",/" | tee -a "$RESULTS"
  done
  kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
}
echo "== tcp_echo (server and client pinned to cpu0)"
for mode in streams protocol; do
  PORT=$((PORT + 1)); run_echo "loop-$mode" "$BENCH" echo-server --port "$PORT" --mode "$mode"
done
for impl in asyncio uvloop; do
  for mode in streams protocol; do
    PORT=$((PORT + 1)); run_echo "$impl-$mode" $PY "$ANCHORS/py/echo_server.py" --impl "$impl" --mode "$mode" --port "$PORT"
  done
done
PORT=$((PORT + 1)); run_echo raw-libuv-c /tmp/asyncio_uv_echo_server "$PORT"

echo
echo "Results: $RESULTS ($(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m))"
$PY "$HERE/summarize.py" "$RESULTS"
