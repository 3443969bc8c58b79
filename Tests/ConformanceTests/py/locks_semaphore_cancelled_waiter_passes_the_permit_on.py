# test_locks.SemaphoreTests.test_acquire_cancel_before_awoken / test_acquire_hang: a waiter cancelled
# after release() picked it gives the permit to the next waiter; nothing is lost.
import asyncio
from _conformance import name


async def main():
    semaphore = asyncio.Semaphore(0)

    async def worker(label):
        try:
            await semaphore.acquire()
            print(f"{label} acquired")
        except asyncio.CancelledError as error:
            print(f"{label}: {name(error)}")
            raise

    first = asyncio.create_task(worker("first"))
    second = asyncio.create_task(worker("second"))
    await asyncio.sleep(0)
    semaphore.release()
    first.cancel()
    await second
    print(f"first cancelled: {first.cancelled()}; locked: {semaphore.locked()}")


asyncio.run(main())
