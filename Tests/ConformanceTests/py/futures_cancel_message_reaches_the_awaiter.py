# test_futures.test_future_cancel_message_getter / test_tasks.test_cancel_with_message_then_future_result:
# the awaiter of a future cancelled with a message gets CancelledError with that message.
import asyncio
from _conformance import name


async def main():
    loop = asyncio.get_running_loop()
    fut = loop.create_future()

    async def waiter():
        try:
            await fut
        except asyncio.CancelledError as error:
            print(f"waiter got {name(error)}")
            raise

    task = asyncio.create_task(waiter())
    await asyncio.sleep(0)
    fut.cancel(msg="shutting down")
    try:
        await task
    except asyncio.CancelledError as error:
        print(f"awaiting the task: {name(error)}; task cancelled: {task.cancelled()}")


asyncio.run(main())
