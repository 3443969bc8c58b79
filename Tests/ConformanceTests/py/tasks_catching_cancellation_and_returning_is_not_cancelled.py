# test_tasks.test_cancel_task_catching / test_cancel_task_ignoring: a task that catches CancelledError
# and returns a value ends with that value, not cancelled.
import asyncio


async def stubborn():
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print("caught the cancellation")
    return 42


async def main():
    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    task.cancel()
    print(f"result: {await task}; cancelled: {task.cancelled()}")


asyncio.run(main())
