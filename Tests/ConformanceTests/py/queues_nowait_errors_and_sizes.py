# test_queues.test_empty / test_full / test_nonblocking_get_exception / test_nonblocking_put_exception:
# get_nowait on an empty queue raises QueueEmpty, put_nowait on a full one QueueFull.
import asyncio


def attempt(label, action):
    try:
        print(f"{label}: {action()}")
    except (asyncio.QueueEmpty, asyncio.QueueFull) as error:
        print(f"{label}: raises {type(error).__name__}")


async def main():
    queue = asyncio.Queue(maxsize=2)
    print(f"empty={queue.empty()} full={queue.full()} qsize={queue.qsize()}")
    attempt("get_nowait empty", queue.get_nowait)
    queue.put_nowait("x")
    queue.put_nowait("y")
    print(f"empty={queue.empty()} full={queue.full()} qsize={queue.qsize()}")
    attempt("put_nowait full", lambda: queue.put_nowait("z"))
    attempt("get_nowait", queue.get_nowait)


asyncio.run(main())
