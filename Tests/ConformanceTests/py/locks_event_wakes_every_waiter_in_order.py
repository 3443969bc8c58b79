# test_locks.EventTests.test_wait / test_wait_on_set / test_clear_with_waiters: set() wakes every
# waiter in the order they waited; wait() on a set event returns at once; clear() blocks new waiters.
import asyncio


async def main():
    event = asyncio.Event()

    async def waiter(i):
        await event.wait()
        print(f"waiter {i} woke")

    tasks = [asyncio.create_task(waiter(i)) for i in range(3)]
    await asyncio.sleep(0)
    event.set()
    print(f"after set: is_set={event.is_set()}")
    await asyncio.gather(*tasks)
    await event.wait()
    print("wait() on a set event returned at once")
    event.clear()
    late = asyncio.create_task(waiter(3))
    await asyncio.sleep(0.01)
    print(f"after clear: late waiter done={late.done()}")
    event.set()
    await late


asyncio.run(main())
