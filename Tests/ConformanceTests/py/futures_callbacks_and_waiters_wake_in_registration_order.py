# test_futures / test_tasks: a future wakes its done callbacks and the tasks awaiting it in the order
# they registered (a task's wake-up is a done callback too).
import asyncio


async def main():
    loop = asyncio.get_running_loop()
    fut = loop.create_future()

    async def waiter(label):
        value = await fut
        print(f"{label} woke with {value}")

    fut.add_done_callback(lambda f: print("callback 1"))
    first = asyncio.create_task(waiter("task A"))
    await asyncio.sleep(0)
    fut.add_done_callback(lambda f: print("callback 2"))
    second = asyncio.create_task(waiter("task B"))
    await asyncio.sleep(0)
    fut.set_result(7)
    await first
    await second


asyncio.run(main())
