# test_tasks.test_cancel_at_end / test_cancel_current_task: a task that requests its own cancellation
# and returns without awaiting again ends cancelled.
import asyncio
from _conformance import name


async def body():
    asyncio.current_task().cancel("self")
    print("body returns")
    return "value"


async def main():
    task = asyncio.create_task(body())
    try:
        print(f"await: {await task}")
    except asyncio.CancelledError as error:
        print(f"await: {name(error)}")
    print(f"cancelled: {task.cancelled()}")


asyncio.run(main())
