"""Turns compare.sh's JSON lines into one markdown table: ours vs Swift's default executor, SwiftNIO,
CPython asyncio, uvloop and raw libuv C, with our speed-up over each (>1 means we are faster)."""
import json, sys

rows = {}
for line in open(sys.argv[1]):
    line = line.strip()
    if not line.startswith("{"):
        continue
    d = json.loads(line)
    if "error" in d or d.get("gc") == "off":
        continue
    impl = {"raw-libuv-c": "c", "libuv-c": "c"}.get(d["impl"], d["impl"])
    rows.setdefault(d["workload"], {})[impl] = d

def figure(workload, d):
    if workload == "timers":
        return d["overhead_s"] * 1e9 / d["n"], "ns overhead/timer"
    if workload == "memory":
        return d["kib_per_task"], "KiB/task"
    if workload.startswith("tcp_echo"):
        return d["requests_per_s"], "req/s"
    return d["ns_per_op"], "ns/op"

def cell(workload, d, value):
    if workload.startswith("tcp_echo"):
        return "%.0f (p99 %.0f µs)" % (value, d["p99_us"])
    return "%.1f" % value

cols = [("loop", "ours"), ("default", "Swift default"), ("nio", "NIO"), ("asyncio", "asyncio"), ("uvloop", "uvloop"), ("c", "raw C")]
print("| workload | unit | " + " | ".join(c[1] for c in cols) + " | ours vs default | vs NIO | vs asyncio | vs uvloop | vs raw C |")
print("|---" * (2 + len(cols) + 5) + "|")
order = ["call_soon", "call_soon_chain", "call_soon_threadsafe", "timers", "tasks", "yield", "queue_pingpong", "lock", "executor", "memory"]
lines = [(w, "", rows.get(w, {})) for w in order]
for size in ["tcp_echo_1k", "tcp_echo_4k"]:
    r = rows.get(size, {})
    for mode in ["streams", "protocol"]:
        lines.append((size, " (%s)" % mode, {"loop": r.get("loop-" + mode), "asyncio": r.get("asyncio-" + mode), "uvloop": r.get("uvloop-" + mode), "c": r.get("c")}))
for w, suffix, r in lines:
    vals, unit = {}, ""
    for key, _ in cols:
        if r.get(key):
            vals[key], unit = figure(w, r[key])
    def ratio(key):
        if "loop" not in vals or key not in vals or not vals["loop"] or not vals[key]:
            return "–"
        higher_is_better = w.startswith("tcp_echo")
        x = vals["loop"] / vals[key] if higher_is_better else vals[key] / vals["loop"]
        return "%.2f×" % x
    cells = [cell(w, r[k], vals[k]) if k in vals else "–" for k, _ in cols]
    print("| %s | %s | %s | %s |" % (w + suffix, unit, " | ".join(cells), " | ".join(ratio(k) for k in ["default", "nio", "asyncio", "uvloop", "c"])))
print()
print("Ratios are speed-ups (>1: ours is faster; for memory, >1: ours uses less). tcp_echo: 50 connections, 200,000 messages, server and client pinned to cpu0. Raw C: the anchors' libuv programs (call_soon floor and chain, echo server) and, for executor, `Benchmarks/c/uv_queue_work.c` (libuv's own pool, 4 threads).")
