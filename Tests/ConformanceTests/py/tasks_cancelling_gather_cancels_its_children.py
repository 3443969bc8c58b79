# test_tasks.test_cancel_gather_1 / test_cancellation_broadcast: cancelling the task awaiting gather
# cancels every child; the gatherer sees CancelledError.
import asyncio
from _conformance import name


async def child(label):
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print(f"{label} cancelled")
        raise


async def main():
    children = [asyncio.create_task(child(f"child {i}")) for i in (1, 2)]

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
    print(f"children cancelled: {[c.cancelled() for c in children]}")


asyncio.run(main())
