# test_taskgroups.test_taskgroup_14 / test_error_and_cancel: when the task running the block is
# cancelled and a child fails while being cancelled, the block raises the ExceptionGroup, not
# CancelledError.
import asyncio
from _conformance import Boom, name


async def child():
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        raise Boom("failed while cancelled")


async def runner():
    async with asyncio.TaskGroup() as group:
        group.create_task(child())
        await asyncio.sleep(10)


async def main():
    task = asyncio.create_task(runner())
    await asyncio.sleep(0.01)
    task.cancel()
    try:
        await task
    except BaseException as error:
        print(f"runner raised {name(error)}")


asyncio.run(main())
