# test_tasks.test_as_completed / test_as_completed_same_tasks_in_as_out (3.13) / _with_timeout:
# async iteration yields the given tasks as they finish; a timeout raises TimeoutError.
import asyncio


async def after(delay, label):
    await asyncio.sleep(delay)
    return label


async def main():
    tasks = [asyncio.create_task(after(d, l)) for d, l in ((0.3, "a"), (0.1, "b"), (0.2, "c"))]
    async for task in asyncio.as_completed(tasks):
        print(f"{task.result()} (same task object: {task in tasks})")
    slow = asyncio.create_task(after(2, "slow"))
    fast = asyncio.create_task(after(0.1, "fast"))
    try:
        async for task in asyncio.as_completed([slow, fast], timeout=0.5):
            print(f"before the timeout: {task.result()}")
    except TimeoutError:
        print(f"TimeoutError; slow cancelled: {slow.cancelled()}")
    slow.cancel()


asyncio.run(main())
