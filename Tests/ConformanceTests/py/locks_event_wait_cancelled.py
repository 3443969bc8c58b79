# test_locks.EventTests.test_wait_cancel: a cancelled wait() raises CancelledError; the other waiters
# are still woken by set().
import asyncio
from _conformance import name


async def main():
    event = asyncio.Event()

    async def waiter(label):
        try:
            await event.wait()
            print(f"{label} woke")
        except asyncio.CancelledError as error:
            print(f"{label}: {name(error)}")
            raise

    first = asyncio.create_task(waiter("first"))
    second = asyncio.create_task(waiter("second"))
    await asyncio.sleep(0)
    first.cancel("bye")
    await asyncio.sleep(0)
    event.set()
    await second
    print(f"first cancelled: {first.cancelled()}")


asyncio.run(main())
