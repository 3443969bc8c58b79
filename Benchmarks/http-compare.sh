#!/usr/bin/env bash
# HTTP/1.1 server throughput and latency, in one run: ours (`asyncio-bench http-server`, AsyncioHTTP on one
# loop) against three anchors serving the same two routes with the same bodies —
#   GET /       -> 200 "Hello, World!" (Content-Type: text/plain)
#   POST /echo  -> 200 with the request body
# - Hummingbird 2 (`hummingbird-bench`): one NIO event loop thread; its handlers run as Swift tasks on the
#   concurrency runtime's global executor (its own threads), as Hummingbird ships. It adds a Date header.
# - SwiftNIO NIOHTTP1 (`nio-http-bench`): a minimal ChannelHandler server on one event loop thread.
# - uvloop + httptools (py/http_server_uvloop.py): a raw asyncio Protocol on one uvloop loop.
# Each server runs alone, pinned to cpu0 (taskset -c 0: every thread it has shares that core); wrk runs
# pinned to cpu1 with one thread and CONNECTIONS connections for DURATION, three workloads:
#   http_get        GET /, one request in flight per connection
#   http_echo_1k    POST /echo with a 1 KiB body
#   http_get_pN     GET / pipelined, PIPELINE requests per batch (throughput only: see measure())
# Before measuring, each server must answer both routes with the right bodies and a pipelined batch in order
# (else the script fails); after, it must still be running. Prints one markdown table and writes JSON lines
# to $OUT/http-compare-DATE.jsonl. Until `asyncio-bench` has the http-server subcommand, "ours" is skipped
# with a message and the anchors still run.
# usage: bash Benchmarks/http-compare.sh   (DURATION=10s CONNECTIONS=50 PIPELINE=16 PORT_BASE=27600
#        OUT=results dir PYTHON=python3 ONLY="ours hummingbird nio uvloop" to run a subset)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$HERE/results}
PY=${PYTHON:-python3}
PORT=${PORT_BASE:-27600}
DURATION=${DURATION:-10s}
C=${CONNECTIONS:-50}
P=${PIPELINE:-16}
ONLY=${ONLY:-ours hummingbird nio uvloop}
export WRK_SCRIPTS="$HERE/wrk"
mkdir -p "$OUT"
RESULTS="$OUT/http-compare-$(date +%Y%m%d-%H%M%S).jsonl"
: > "$RESULTS"

fail() { echo "http-compare: $*" >&2; exit 1; }

# Tools: wrk and curl from Debian when missing (as root, or with sudo), taskset from util-linux.
missing=()
for tool in wrk curl; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing ${missing[*]} with apt-get (missing)"
  SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
  $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" \
    || fail "could not install ${missing[*]}: install them and run again"
fi
command -v taskset >/dev/null || fail "taskset is missing (util-linux)"
[ "$(nproc)" -ge 2 ] || fail "needs 2 CPUs (server on cpu0, wrk on cpu1)"
if [[ " $ONLY " == *" uvloop "* ]]; then
  $PY -c "import uvloop, httptools" 2>/dev/null || { echo "== pip install uvloop httptools (into $($PY -c 'import sys; print(sys.executable)'))"; $PY -m pip install -q uvloop httptools; }
  $PY -c "import uvloop, httptools" || fail "$PY cannot import uvloop and httptools"
fi

# Ours exists once asyncio-bench has the http-server subcommand (AsyncioHTTP, the `http` branch).
HAVE_OURS=0
if [[ " $ONLY " == *" ours "* ]]; then
  if grep -q '"http-server"' "$HERE/Sources/asyncio-bench/main.swift"; then
    HAVE_OURS=1
  else
    echo "== SKIPPING ours: asyncio-bench has no http-server subcommand yet (it comes with AsyncioHTTP); the anchors still run"
  fi
fi

echo "== building (release)"
products=()
[ $HAVE_OURS = 1 ] && products+=(asyncio-bench)
[[ " $ONLY " == *" hummingbird "* ]] && products+=(hummingbird-bench)
[[ " $ONLY " == *" nio "* ]] && products+=(nio-http-bench)
for product in "${products[@]}"; do
  swift build -c release --package-path "$HERE" --product "$product" >"$OUT/build-$product.log" 2>&1 \
    || { tail -30 "$OUT/build-$product.log"; fail "building $product failed (log: $OUT/build-$product.log)"; }
  tail -1 "$OUT/build-$product.log"
done
BIN="$HERE/.build/release"

SERVER=""
stop_server() {
  if [ -n "$SERVER" ]; then  # SIGTERM (a graceful shutdown for Hummingbird), SIGKILL after 5 s
    kill "$SERVER" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$SERVER" 2>/dev/null || break; sleep 0.05; done
    kill -9 "$SERVER" 2>/dev/null || true
    wait "$SERVER" 2>/dev/null || true
    SERVER=""
  fi
}
trap stop_server EXIT
trap 'stop_server; exit 130' INT TERM

BODY=$(mktemp); ECHOED=$(mktemp)
trap 'stop_server; rm -f "$BODY" "$ECHOED"' EXIT
head -c 1024 /dev/urandom > "$BODY"

# check_server PORT: both routes answer 200 with the right bodies, and a pipelined batch of PIPELINE
# requests (POST /echo "0", "1", ..., then GET / with Connection: close) gets its responses in order.
check_server() {
  local port=$1 url="http://127.0.0.1:$1" got
  got=$(curl -sS --max-time 5 -w '\n%{http_code}' "$url/") || { echo "GET / failed"; return 1; }
  [ "$got" = $'Hello, World!\n200' ] || {
    local status=${got##*$'\n'} body=${got%$'\n'*}
    echo "GET / answered status $status with ${#body} bytes, not 200 'Hello, World!': $(head -c 80 <<<"$body" | tr '\r\n' '  ')..."
    return 1
  }
  got=$(curl -sS --max-time 5 -o "$ECHOED" -w '%{http_code}' -H 'Content-Type: application/octet-stream' \
    --data-binary "@$BODY" "$url/echo") || { echo "POST /echo failed"; return 1; }
  [ "$got" = 200 ] || { echo "POST /echo answered status $got"; return 1; }
  cmp -s "$BODY" "$ECHOED" || { echo "POST /echo did not echo the 1 KiB body ($(wc -c < "$ECHOED") bytes back)"; return 1; }
  $PY - "$port" "$P" <<'PYEOF' || return 1
import socket, sys
port, depth = int(sys.argv[1]), int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port), timeout=5)
reqs = [b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%d" % (len(str(i)), i) for i in range(depth - 1)]
s.sendall(b"".join(reqs) + b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
want = [str(i).encode() for i in range(depth - 1)] + [b"Hello, World!"]
data, bodies = b"", []
def take():  # moves the complete responses from data to bodies
    global data
    while b"\r\n\r\n" in data:
        head, _, rest = data.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            sys.exit("pipelined batch: response %d was %r" % (len(bodies) + 1, head.split(b"\r\n")[0]))
        lengths = [int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
        if not lengths:
            sys.exit("pipelined batch: response %d has no Content-Length" % (len(bodies) + 1))
        if len(rest) < lengths[0]:
            return
        bodies.append(rest[:lengths[0]])
        data = rest[lengths[0]:]
try:
    while len(bodies) < depth:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
        take()
except socket.timeout:
    sys.exit("pipelined batch of %d (POST /echo x%d, GET /): %d responses within 5 s" % (depth, depth - 1, len(bodies)))
if bodies != want:
    sys.exit("pipelined batch of %d: bodies %r, want %r" % (depth, bodies[:4] + [b"..."], want[:4] + [b"..."]))
PYEOF
}

# The server's CPU time so far (user + system, all its threads), in clock ticks: a cost per request that
# holds up on a machine where other processes take some of cpu0.
server_cpu_ticks() { sed 's/.*) //' "/proc/$SERVER/stat" | awk '{ print $12 + $13 }'; }

# measure IMPL WORKLOAD LATENCY SCRIPT [ARGS...]: one wrk run on cpu1, one JSON line, with wrk's latency
# percentiles when LATENCY is yes. Not for pipelined runs: wrk corrects its histogram for coordinated
# omission assuming one request per sample (expected interval = run time / responses per connection), so
# with one sample per batch of 16 it smears every batch's latency over synthetic samples (its p99 even
# comes out as 0 when they fall below the recorded minimum).
measure() {
  local impl=$1 workload=$2 latency=$3 script=$4; shift 4
  local out cpu0 cpu1
  cpu0=$(server_cpu_ticks)
  out=$(taskset -c 1 wrk -t1 -c"$C" -d"$DURATION" --latency -s "$WRK_SCRIPTS/$script" "http://127.0.0.1:$PORT/" "$@" 2>&1) \
    || { echo "$out"; fail "wrk failed against $impl ($workload)"; }
  cpu1=$(server_cpu_ticks)
  local line
  line=$(grep '^WRK-JSON ' <<<"$out" | cut -d' ' -f2-) || { echo "$out"; fail "no result from wrk against $impl ($workload)"; }
  if grep -q 'Non-2xx' <<<"$out"; then echo "$out"; fail "$impl answered non-2xx statuses under wrk ($workload)"; fi
  $PY - "$impl" "$workload" "$C" "$load" "$latency" "$line" "$((cpu1 - cpu0))" "$(getconf CLK_TCK)" <<'PYEOF' | tee -a "$RESULTS"
import json, sys
impl, workload, c, load, latency, raw, ticks, hz = sys.argv[1:9]
w = json.loads(raw)
d = {"impl": impl, "workload": workload, "connections": int(c),
     "requests_per_s": round(w["requests"] / (w["duration_us"] / 1e6)), "requests": w["requests"],
     "server_cpu_us_per_request": round(int(ticks) * 1e6 / int(hz) / max(1, w["requests"]), 2)}
if latency == "yes":
    d.update(p50_us=w["p50_us"], p90_us=w["p90_us"], p99_us=w["p99_us"], max_us=w["max_us"])
d.update(errors=w["errors"], load=load)
print(json.dumps(d))
PYEOF
}

# run_server IMPL CMD...: start it on cpu0 at $PORT, wait until it answers, check it, measure, stop it.
run_server() {
  local impl=$1; shift
  PORT=$((PORT + 1))
  if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$PORT/"; then fail "port $PORT already answers: set PORT_BASE"; fi
  taskset -c 0 "$@" --port "$PORT" >"$OUT/http-server-$impl.log" 2>&1 &
  SERVER=$!
  local ready=0
  for _ in $(seq 1 600); do  # up to 30 s: the machine may be busy
    kill -0 "$SERVER" 2>/dev/null || { cat "$OUT/http-server-$impl.log"; fail "$impl exited before answering"; }
    if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$PORT/"; then ready=1; break; fi
    sleep 0.05
  done
  [ $ready = 1 ] || fail "$impl did not answer on port $PORT within 30 s"
  local why
  why=$(check_server "$PORT" 2>&1) || fail "$impl answers wrongly: $why"
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  echo "== $impl (port $PORT, pid $SERVER; load $load)"
  measure "$impl" http_get yes get.lua
  measure "$impl" http_echo_1k yes echo.lua
  measure "$impl" "http_get_p$P" no pipeline.lua -- "$P"
  kill -0 "$SERVER" 2>/dev/null || { cat "$OUT/http-server-$impl.log"; fail "$impl died during the runs"; }
  local threads
  threads=$(ls "/proc/$SERVER/task" | wc -l)
  echo "{\"impl\": \"$impl\", \"workload\": \"server_threads\", \"threads\": $threads}" | tee -a "$RESULTS"
  stop_server
}

echo "== wrk -t1 -c$C -d$DURATION on cpu1, each server alone on cpu0; pipelined runs send $P requests per batch"
[ $HAVE_OURS = 1 ] && run_server ours "$BIN/asyncio-bench" http-server
[[ " $ONLY " == *" hummingbird "* ]] && run_server hummingbird "$BIN/hummingbird-bench"
[[ " $ONLY " == *" nio "* ]] && run_server nio "$BIN/nio-http-bench"
[[ " $ONLY " == *" uvloop "* ]] && run_server uvloop-httptools $PY "$HERE/py/http_server_uvloop.py"

echo
echo "Results: $RESULTS ($(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m), $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2); load now $(cut -d' ' -f1-3 /proc/loadavg))"
$PY - "$RESULTS" "$P" <<'PYEOF'
import json, sys
rows, threads = {}, {}
for line in open(sys.argv[1]):
    if line.startswith("{"):
        d = json.loads(line)
        if "requests_per_s" in d:
            rows.setdefault(d["workload"], {})[d["impl"]] = d
        elif "threads" in d:
            threads[d["impl"]] = d["threads"]
impls = [("ours", "ours"), ("hummingbird", "Hummingbird 2"), ("nio", "NIOHTTP1"), ("uvloop-httptools", "uvloop+httptools")]
names = {"http_get": "GET / (hello)", "http_echo_1k": "POST /echo 1 KiB", "http_get_p%s" % sys.argv[2]: "GET / pipelined ×%s" % sys.argv[2]}
print("| workload | " + " | ".join(n for _, n in impls) + " | " + " | ".join("ours/" + n for _, n in impls[1:]) + " |")
print("|---" * (2 * len(impls)) + "|")
for workload, by in rows.items():
    def cell(d):
        if "p50_us" not in d:
            return "{:,}/s".format(d["requests_per_s"])
        return "{:,}/s (p50 {:,} µs, p99 {:,} µs)".format(d["requests_per_s"], d["p50_us"], d["p99_us"])
    cells = [cell(by[i]) if i in by else "–" for i, _ in impls]
    ratios = ["%.2f×" % (by["ours"]["requests_per_s"] / by[i]["requests_per_s"]) if "ours" in by and i in by else "–" for i, _ in impls[1:]]
    print("| %s | %s | %s |" % (names.get(workload, workload), " | ".join(cells), " | ".join(ratios)))
print()
print("Server CPU time per request (µs, user + system of all its threads; less is better):")
print("| workload | " + " | ".join(n for _, n in impls) + " |")
print("|---" * (len(impls) + 1) + "|")
for workload, by in rows.items():
    print("| %s | %s |" % (names.get(workload, workload), " | ".join(
        "%.2f" % by[i]["server_cpu_us_per_request"] if i in by else "–" for i, _ in impls)))
print()
print("Threads in each server process after the runs (all pinned to cpu0): "
      + ", ".join("%s %d" % (n, threads[i]) for i, n in impls if i in threads))
PYEOF
