# test_locks.SemaphoreTests.test_acquire_fifo_order / test_acquire: permits go to waiters in FIFO
# order; locked() is true with no permit left.
import asyncio


async def main():
    semaphore = asyncio.Semaphore(2)

    async def worker(i):
        async with semaphore:
            print(f"task {i} has a permit")
            await asyncio.sleep(0.01)

    tasks = [asyncio.create_task(worker(i)) for i in range(5)]
    await asyncio.sleep(0)
    print(f"locked with 2 holders: {semaphore.locked()}")
    await asyncio.gather(*tasks)
    print(f"locked at the end: {semaphore.locked()}")


asyncio.run(main())
