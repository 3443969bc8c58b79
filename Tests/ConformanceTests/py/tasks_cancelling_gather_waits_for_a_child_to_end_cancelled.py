# test_tasks.test_cancel_gather_2 / GatherTests.test_one_cancellation: cancelling the task awaiting
# gather cancels the children; the gatherer sees CancelledError once a child has ended cancelled, not
# before (children whose cleanup takes longer are not waited for).
import asyncio
from _conformance import name


async def child(label, cleanup):
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print(f"{label} cancelled")
        await asyncio.sleep(cleanup)
        print(f"{label} cleanup done")
        raise


async def main():
    children = [asyncio.create_task(child("child 1", 0.01)), asyncio.create_task(child("child 2", 0.3))]

    async def gatherer():
        try:
            await asyncio.gather(*children)
        except asyncio.CancelledError as error:
            print(f"gatherer saw {name(error)}")
            raise

    outer = asyncio.create_task(gatherer())
    await asyncio.sleep(0)
    outer.cancel()
    try:
        await outer
    except asyncio.CancelledError:
        pass
    await children[1]


try:
    asyncio.run(main())
except asyncio.CancelledError:
    pass
