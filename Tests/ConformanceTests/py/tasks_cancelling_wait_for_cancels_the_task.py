# test_waitfor.test_cancel_wait_for / test_asyncio_wait_for_cancelled: cancelling the task blocked in
# wait_for cancels the awaited task too, and raises CancelledError (not TimeoutError).
import asyncio
from _conformance import name


async def main():
    inner = asyncio.create_task(asyncio.sleep(10))

    async def waiter():
        await asyncio.wait_for(inner, timeout=5)

    outer = asyncio.create_task(waiter())
    await asyncio.sleep(0.01)
    outer.cancel("stop")
    try:
        await outer
    except BaseException as error:
        print(f"outer: {name(error)}")
    await asyncio.sleep(0)
    print(f"inner cancelled: {inner.cancelled()}")


asyncio.run(main())
