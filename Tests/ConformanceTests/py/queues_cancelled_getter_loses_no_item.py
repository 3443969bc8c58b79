# test_queues.test_get_cancelled_race / test_cancelled_getters_not_being_held_in_self_getters: a getter
# cancelled after an item was put for it leaves the item to the next getter.
import asyncio
from _conformance import name


async def main():
    queue = asyncio.Queue()

    async def getter(label):
        try:
            item = await queue.get()
            print(f"{label} got {item}")
        except asyncio.CancelledError as error:
            print(f"{label}: {name(error)}")
            raise

    first = asyncio.create_task(getter("first"))
    second = asyncio.create_task(getter("second"))
    await asyncio.sleep(0)
    queue.put_nowait("item")
    first.cancel()
    await second
    print(f"first cancelled: {first.cancelled()}; qsize: {queue.qsize()}")


asyncio.run(main())
