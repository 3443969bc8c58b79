# test_tasks.test_cancel_yield / test_task_cancel_waiter_future: a task whose awaited future completed
# but which has not run yet still gets the cancellation at that await.
import asyncio
from _conformance import name


async def main():
    loop = asyncio.get_running_loop()
    fut = loop.create_future()

    async def waiter():
        try:
            value = await fut
            print(f"waiter got {value}")
        except asyncio.CancelledError as error:
            print(f"waiter: {name(error)}")
            raise

    task = asyncio.create_task(waiter())
    await asyncio.sleep(0)
    fut.set_result(1)
    task.cancel("late")
    try:
        await task
    except asyncio.CancelledError:
        pass
    print(f"task cancelled: {task.cancelled()}; future result: {fut.result()}")


asyncio.run(main())
