# test_locks.ConditionTests.test_wait_cancel / test_cancelled_error_re_aquire: a wait() cancelled
# re-acquires the lock before raising CancelledError.
import asyncio
from _conformance import name


async def main():
    condition = asyncio.Condition()

    async def waiter():
        async with condition:
            try:
                await condition.wait()
            except asyncio.CancelledError as error:
                print(f"waiter: {name(error)}; holds the lock: {condition.locked()}")
                raise

    task = asyncio.create_task(waiter())
    await asyncio.sleep(0)
    await condition.acquire()
    task.cancel()
    await asyncio.sleep(0)
    print(f"main still holds the lock; waiter done: {task.done()}")
    condition.release()
    try:
        await task
    except asyncio.CancelledError:
        pass
    print(f"after: locked={condition.locked()}")


asyncio.run(main())
