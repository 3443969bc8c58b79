# test_locks.LockTests (release with waiters, _wake_up_first): after release() with a waiter, locked()
# is False until that waiter runs; a newcomer still queues behind it (no barging).
import asyncio


async def main():
    lock = asyncio.Lock()
    await lock.acquire()

    async def waiter():
        async with lock:
            print(f"waiter holds the lock (locked: {lock.locked()})")

    task = asyncio.create_task(waiter())
    await asyncio.sleep(0)
    lock.release()
    print(f"after release: locked={lock.locked()}")
    async with lock:
        print("newcomer holds the lock")
    await task


asyncio.run(main())
