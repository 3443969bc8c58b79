# test_tasks.test_cancel_both_task_and_inner_future / test_yield_wait_does_not_shield_cancel:
# cancelling an outer task that awaits an inner task cancels the inner one first; the outer sees
# CancelledError only after the inner task has finished its cleanup.
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


async def main():
    inner = asyncio.create_task(inner_body())

    async def outer_body():
        try:
            await inner
        except asyncio.CancelledError as error:
            print(f"outer saw {name(error)}; inner done: {inner.done()}")
            raise

    outer = asyncio.create_task(outer_body())
    await asyncio.sleep(0)
    outer.cancel("outer stop")
    try:
        await outer
    except asyncio.CancelledError:
        pass
    print(f"inner cancelled: {inner.cancelled()}; outer cancelled: {outer.cancelled()}")


asyncio.run(main())
