# test_tasks.test_cancel_awaited_task: an outer task awaiting an inner one that gets cancelled sees
# CancelledError and, not catching it, ends cancelled too.
import asyncio
from _conformance import name


async def main():
    inner = asyncio.create_task(asyncio.sleep(10))

    async def outer_body():
        try:
            await inner
        except asyncio.CancelledError as error:
            print(f"outer saw {name(error)}")
            raise

    outer = asyncio.create_task(outer_body())
    await asyncio.sleep(0)
    inner.cancel("inner stop")
    try:
        await outer
    except asyncio.CancelledError:
        pass
    print(f"inner cancelled: {inner.cancelled()}; outer cancelled: {outer.cancelled()}")


asyncio.run(main())
