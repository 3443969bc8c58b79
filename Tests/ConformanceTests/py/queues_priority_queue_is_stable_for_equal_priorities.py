# PriorityQueue with (priority, item) entries: equal priorities come out in insertion order.
import asyncio


async def main():
    queue = asyncio.PriorityQueue()
    for priority, item in ((2, "a"), (1, "b"), (2, "c"), (1, "d")):
        queue.put_nowait((priority, item))
    print([queue.get_nowait()[1] for _ in range(4)])


asyncio.run(main())
