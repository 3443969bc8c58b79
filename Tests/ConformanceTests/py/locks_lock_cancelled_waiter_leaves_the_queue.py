# test_locks.LockTests.test_acquire_cancel / test_cancel_race: a waiter cancelled while queued never
# gets the lock; the next one does.
import asyncio
from _conformance import name


async def main():
    lock = asyncio.Lock()
    await lock.acquire()

    async def worker(label):
        try:
            async with lock:
                print(f"{label} holds the lock")
        except asyncio.CancelledError as error:
            print(f"{label}: {name(error)}")
            raise

    first = asyncio.create_task(worker("first"))
    second = asyncio.create_task(worker("second"))
    await asyncio.sleep(0)
    first.cancel()
    await asyncio.sleep(0)
    lock.release()
    await second
    print(f"first cancelled: {first.cancelled()}; locked: {lock.locked()}")


asyncio.run(main())
