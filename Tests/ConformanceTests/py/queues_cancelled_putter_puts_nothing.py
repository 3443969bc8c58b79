# test_queues.test_put_cancel_drop / test_cancelled_puts_not_being_held_in_self_putters: a putter
# cancelled while the queue is full puts nothing; the putters behind it go on in order.
import asyncio
from _conformance import name


async def main():
    queue = asyncio.Queue(maxsize=1)
    queue.put_nowait("first")

    async def putter(item):
        try:
            await queue.put(item)
            print(f"put {item}")
        except asyncio.CancelledError as error:
            print(f"putter of {item}: {name(error)}")
            raise

    cancelled = asyncio.create_task(putter("cancelled"))
    kept = asyncio.create_task(putter("kept"))
    await asyncio.sleep(0)
    cancelled.cancel()
    await asyncio.sleep(0)
    print(f"got {queue.get_nowait()}")
    await kept
    print(f"got {queue.get_nowait()}; qsize: {queue.qsize()}")


asyncio.run(main())
