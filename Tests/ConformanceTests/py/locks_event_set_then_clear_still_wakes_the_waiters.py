# test_locks.EventTests.test_clear_with_waiters: set() wakes the waiters even if clear() follows
# before they run.
import asyncio


async def main():
    event = asyncio.Event()

    async def waiter(i):
        await event.wait()
        print(f"waiter {i} woke; is_set now: {event.is_set()}")

    tasks = [asyncio.create_task(waiter(i)) for i in range(2)]
    await asyncio.sleep(0)
    event.set()
    event.clear()
    await asyncio.gather(*tasks)


asyncio.run(main())
