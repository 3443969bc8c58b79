# test_queues.test_blocking_get / test_get_with_putters / test_blocking_put: blocked getters receive
# items in the order they waited; blocked putters resume in the order they waited.
import asyncio


async def main():
    queue = asyncio.Queue()

    async def getter(i):
        item = await queue.get()
        print(f"getter {i} got {item}")

    getters = [asyncio.create_task(getter(i)) for i in range(3)]
    await asyncio.sleep(0)
    for item in ("a", "b", "c"):
        queue.put_nowait(item)
    await asyncio.gather(*getters)

    bounded = asyncio.Queue(maxsize=1)
    bounded.put_nowait("first")

    async def putter(i):
        await bounded.put(f"item {i}")
        print(f"putter {i} put")

    putters = [asyncio.create_task(putter(i)) for i in range(3)]
    await asyncio.sleep(0)
    for _ in range(4):
        print(f"got {await bounded.get()}")
        await asyncio.sleep(0)
    await asyncio.gather(*putters)


asyncio.run(main())
