# test_locks.ConditionTests.test_notify / test_notify_all: notify(n) wakes the n longest waiters, each
# re-acquiring the lock in turn; notify_all wakes the rest.
import asyncio


async def main():
    condition = asyncio.Condition()

    async def waiter(i):
        async with condition:
            await condition.wait()
            print(f"waiter {i} woke holding the lock: {condition.locked()}")

    tasks = [asyncio.create_task(waiter(i)) for i in range(5)]
    await asyncio.sleep(0)
    async with condition:
        condition.notify(1)
    await asyncio.sleep(0.01)
    print("-- notify(2)")
    async with condition:
        condition.notify(2)
    await asyncio.sleep(0.01)
    print("-- notify_all()")
    async with condition:
        condition.notify_all()
    await asyncio.gather(*tasks)


asyncio.run(main())
