# test_tasks.test_cancel_task_catching / test_uncancel_basic: a task that catches CancelledError can
# await again (asyncio's cancellation is one delivered exception), and returns its value, not cancelled.
# Swift differs (traces/<name>.swift.txt): Swift cancellation cannot be withdrawn, so every later wait
# of a cancelled task throws again; cleanup that must wait runs in uncancellable { }.
import asyncio


async def body():
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print("caught the cancellation")
    try:
        await asyncio.sleep(0)
        print("a later await: ok")
    except asyncio.CancelledError:
        print("a later await: CancelledError")
    return "returned"


async def main():
    task = asyncio.create_task(body())
    await asyncio.sleep(0)
    task.cancel()
    print(f"result: {await task}; cancelled: {task.cancelled()}")


asyncio.run(main())
