# CPython twin of TaskCancellationSemanticsTests.cancellingATaskThatAwaitsAnotherWaitsForTheInnersCleanup
import asyncio
async def main():
    async def inner():
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            print("inner cancelled")
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            print("inner cleanup done")
            raise
    async def outer(t):
        try:
            await t
        except asyncio.CancelledError:
            print("outer sees CancelledError, inner done:", t.done())
            raise
    i = asyncio.create_task(inner())
    o = asyncio.create_task(outer(i))
    await asyncio.sleep(0)
    o.cancel()
    try:
        await o
    except asyncio.CancelledError:
        print("outer cancelled", o.cancelled(), "inner cancelled", i.cancelled())
    async def inner2():
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            return 42
    async def outer2(t):
        v = await t
        print("outer2 got", v)
        return v
    i2 = asyncio.create_task(inner2())
    o2 = asyncio.create_task(outer2(i2))
    await asyncio.sleep(0)
    o2.cancel()
    print("outer2 result", await o2)
asyncio.run(main())
