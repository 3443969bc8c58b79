# test_locks.ConditionTests.test_wait_for: wait_for(predicate) returns once the predicate holds after
# a notification, with the lock held.
import asyncio


async def main():
    condition = asyncio.Condition()
    state = {"value": 0}

    async def waiter():
        async with condition:
            result = await condition.wait_for(lambda: state["value"] >= 2)
            print(f"predicate true with value {state['value']} (result {result})")

    task = asyncio.create_task(waiter())
    for value in (1, 2):
        await asyncio.sleep(0)
        async with condition:
            state["value"] = value
            print(f"set {value}, notify")
            condition.notify()
    await task


asyncio.run(main())
