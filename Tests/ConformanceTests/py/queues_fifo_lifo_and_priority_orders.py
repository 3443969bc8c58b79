# test_queues.QueueGetTests.test_order / LifoQueueTests.test_order / PriorityQueueTests.test_order:
# each kind of queue hands its items out in its own order.
import asyncio


async def main():
    for kind in (asyncio.Queue, asyncio.LifoQueue, asyncio.PriorityQueue):
        queue = kind()
        for item in (1, 3, 2):
            queue.put_nowait(item)
        print(f"{kind.__name__}: {[queue.get_nowait() for _ in range(3)]}")


asyncio.run(main())
