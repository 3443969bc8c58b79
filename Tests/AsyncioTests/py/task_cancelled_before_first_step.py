# CPython twin of TaskCancellationSemanticsTests.aTaskCancelledBeforeItsFirstStepNeverRunsItsBody
import asyncio
async def main():
    async def body():
        print("body ran")
        return 1
    t = asyncio.create_task(body())
    t.cancel("m")
    try:
        await t
    except asyncio.CancelledError as e:
        print("CancelledError", e.args)
    print("cancelled", t.cancelled())
    async def selfcancel():
        asyncio.current_task().cancel("self")
        return 2
    t2 = asyncio.create_task(selfcancel())
    try:
        print("value", await t2)
    except asyncio.CancelledError as e:
        print("self CancelledError", e.args, t2.cancelled())
    async def catches():
        asyncio.current_task().cancel("again")
        try:
            await asyncio.sleep(0)
        except asyncio.CancelledError:
            print("caught")
        return 3
    t3 = asyncio.create_task(catches())
    print("value", await t3, t3.cancelled())
asyncio.run(main())
