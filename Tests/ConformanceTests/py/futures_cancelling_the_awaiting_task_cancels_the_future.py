# test_tasks.test_cancel_inner_future / test_yield_future_passes_cancel: cancelling a task that
# awaits a future cancels the future too.
import asyncio
from _conformance import name


async def main():
    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    fut.add_done_callback(lambda f: print(f"future done, cancelled: {f.cancelled()}"))

    async def waiter():
        await fut

    task = asyncio.create_task(waiter())
    await asyncio.sleep(0)
    task.cancel("stop")
    try:
        await task
    except asyncio.CancelledError as error:
        print(f"task: {name(error)}")
    print(f"future cancelled: {fut.cancelled()}")


asyncio.run(main())
