# test_waitfor.test_wait_for / test_wait_for_waits_for_task_cancellation: on timeout wait_for cancels
# the work, waits until it has finished, then raises TimeoutError.
import asyncio
from _conformance import name


async def work():
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError as error:
        print(f"work saw {name(error)}")
        raise


async def main():
    loop = asyncio.get_running_loop()
    start = loop.time()
    try:
        await asyncio.wait_for(work(), timeout=0.05)
    except TimeoutError:
        print(f"TimeoutError, not before the timeout: {loop.time() - start >= 0.049}")
    task = asyncio.create_task(work())
    try:
        await asyncio.wait_for(task, timeout=0.05)
    except TimeoutError:
        print(f"TimeoutError; task done: {task.done()}, cancelled: {task.cancelled()}")


asyncio.run(main())
