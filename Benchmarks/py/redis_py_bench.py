"""redis-py's asyncio client doing what `asyncio-bench redis --mode batch` does: C connections, each
sending rounds of K pipelined commands (a non-transactional pipeline), N commands per test (SET, then
GET), like `redis-benchmark -c C -P K -n N -t set,get`. One JSON line per test.

usage: python3 redis_py_bench.py --port P [--connections C] [--pipeline K] [--n N] [--impl asyncio|uvloop]
"""
import argparse
import asyncio
import json
import time

import redis
import redis.asyncio as aioredis


async def run(args):
    client = aioredis.Redis(host="127.0.0.1", port=args.port, max_connections=args.connections)
    rounds = max(1, args.n // (args.connections * args.pipeline))
    try:
        parser = "hiredis" if redis.utils.HIREDIS_AVAILABLE else "python"
    except AttributeError:
        parser = "unknown"
    for test in ("SET", "GET"):
        latencies = []

        async def worker(index):
            key = f"key:{index}"
            for _ in range(rounds):
                sent = time.perf_counter()
                async with client.pipeline(transaction=False) as pipe:
                    for _ in range(args.pipeline):
                        if test == "SET":
                            pipe.set(key, "xxx")
                        else:
                            pipe.get(key)
                    replies = await pipe.execute()
                latencies.append(time.perf_counter() - sent)
                assert len(replies) == args.pipeline

        start = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(args.connections)))
        seconds = time.perf_counter() - start
        total = rounds * args.connections * args.pipeline
        latencies.sort()
        print(json.dumps({
            "impl": f"redis-py-{args.impl}", "workload": f"redis_{test.lower()}_P{args.pipeline}", "n": total,
            "seconds": round(seconds, 6), "requests_per_s": round(total / seconds),
            "connections": args.connections, "parser": parser, "redis_py": redis.__version__,
            "p50_us": round(latencies[len(latencies) // 2] * 1e6),
            "p99_us": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1e6),
        }), flush=True)
    await client.aclose()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--pipeline", type=int, default=16)
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--impl", default="asyncio", choices=["asyncio", "uvloop"])
    args = parser.parse_args()
    if args.impl == "uvloop":
        import uvloop
        uvloop.run(run(args))
    else:
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
