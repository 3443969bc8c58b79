# test_locks.LockTests.test_cancel_release_race / test_finished_waiter_cancelled: a waiter woken by
# release() and cancelled before it ran passes the lock to the next waiter.
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
    lock.release()
    first.cancel()
    await second
    print(f"first cancelled: {first.cancelled()}; locked: {lock.locked()}")


asyncio.run(main())
