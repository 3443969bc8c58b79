# test_tasks.test_cancel / test_task_cancel_sleeping_task / test_cancel_yield: cancel(msg) wakes the
# sleeping task with CancelledError(msg); the task ends cancelled; cancel() of a done task is False.
import asyncio
from _conformance import name


async def sleeper():
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError as error:
        print(f"sleeper saw {name(error)}")
        raise


async def main():
    task = asyncio.create_task(sleeper())
    await asyncio.sleep(0)
    print(f"cancel(): {task.cancel('stop')}")
    try:
        await task
    except asyncio.CancelledError as error:
        print(f"awaiter got {name(error)}")
    print(f"cancelled: {task.cancelled()}; cancel() again: {task.cancel()}")


asyncio.run(main())
