# test_locks.LockTests.test_acquire: waiters get the lock in the order they asked for it.
import asyncio


async def main():
    lock = asyncio.Lock()
    await lock.acquire()

    async def worker(i):
        async with lock:
            print(f"task {i} holds the lock")
            await asyncio.sleep(0)

    tasks = [asyncio.create_task(worker(i)) for i in range(4)]
    await asyncio.sleep(0)
    lock.release()
    await asyncio.gather(*tasks)
    print(f"locked at the end: {lock.locked()}")


asyncio.run(main())
