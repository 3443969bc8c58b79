# test_taskgroups.test_cancellation / test_taskgroup_12: cancelling the task running the block cancels
# the body and every child, waits for them, and raises CancelledError.
# The group cancels its children in the order of a set of tasks (object addresses), so which child
# sees its cancellation first is not defined: the trace records the set, sorted.
import asyncio
from _conformance import name

cancelled = []


async def child(label):
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        cancelled.append(label)
        raise


async def runner():
    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(child("child 1"))
            group.create_task(child("child 2"))
            await asyncio.sleep(10)
    except BaseException as error:
        print(f"children cancelled: {', '.join(sorted(cancelled))}")
        print(f"the block raised {name(error)}")
        raise


async def main():
    task = asyncio.create_task(runner())
    await asyncio.sleep(0.01)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    print(f"runner cancelled: {task.cancelled()}")


asyncio.run(main())
