# test_locks.ConditionTests.test_cancelled_wakeup: a waiter notified and cancelled before it ran does
# not swallow the notification: the next waiter gets it.
import asyncio
from _conformance import name


async def main():
    condition = asyncio.Condition()

    async def waiter(label):
        try:
            async with condition:
                await condition.wait()
                print(f"{label} woke")
        except asyncio.CancelledError as error:
            print(f"{label}: {name(error)}")
            raise

    first = asyncio.create_task(waiter("first"))
    second = asyncio.create_task(waiter("second"))
    await asyncio.sleep(0)
    async with condition:
        condition.notify(1)
        first.cancel()
    await second
    print(f"first cancelled: {first.cancelled()}; locked: {condition.locked()}")


asyncio.run(main())
