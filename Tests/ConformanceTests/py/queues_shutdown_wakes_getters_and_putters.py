# test_queues (3.13 shutdown): shutdown() makes put() raise QueueShutDown at once and get() once the
# queue is empty, waking those already waiting; shutdown(immediate=True) drops the items and unblocks
# join().
import asyncio


async def main():
    queue = asyncio.Queue()

    async def getter(label):
        try:
            print(f"{label} got {await queue.get()}")
        except asyncio.QueueShutDown:
            print(f"{label}: QueueShutDown")

    waiting = asyncio.create_task(getter("waiting getter"))
    await asyncio.sleep(0)
    queue.shutdown()
    await waiting
    try:
        queue.put_nowait("x")
    except asyncio.QueueShutDown:
        print("put_nowait after shutdown: QueueShutDown")

    second = asyncio.Queue()
    second.put_nowait("left")
    second.shutdown()
    print(f"get after shutdown, not empty: {second.get_nowait()}")

    third = asyncio.Queue(maxsize=1)
    third.put_nowait("a")

    async def putter():
        try:
            await third.put("b")
        except asyncio.QueueShutDown:
            print("waiting putter: QueueShutDown")

    blocked = asyncio.create_task(putter())
    joiner = asyncio.create_task(third.join())
    await asyncio.sleep(0)
    third.shutdown(immediate=True)
    await blocked
    await joiner
    print(f"join() returned after shutdown(immediate=True); qsize: {third.qsize()}")


asyncio.run(main())
