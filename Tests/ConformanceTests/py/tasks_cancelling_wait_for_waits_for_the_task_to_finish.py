# test_waitfor.test_wait_for_waits_for_task_cancellation / test_cancel_blocking_wait_for: cancelling
# the task blocked in wait_for(task) cancels that task and sees CancelledError only once it has
# finished its cleanup; a task that swallows the cancellation and returns gives its value.
import asyncio
from _conformance import name


async def inner_body():
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError as error:
        print(f"inner saw {name(error)}")
        await asyncio.sleep(0.01)
        print("inner cleanup done")
        raise


async def stubborn():
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        await asyncio.sleep(0.01)
        return "stubborn value"


async def main():
    for body in (inner_body, stubborn):
        inner = asyncio.create_task(body())

        async def waiter():
            result = await asyncio.wait_for(inner, timeout=5)
            print(f"wait_for returned {result}")

        outer = asyncio.create_task(waiter())
        await asyncio.sleep(0.01)
        outer.cancel("stop")
        try:
            await outer
        except BaseException as error:
            print(f"outer: {name(error)}; inner done: {inner.done()}")


asyncio.run(main())
