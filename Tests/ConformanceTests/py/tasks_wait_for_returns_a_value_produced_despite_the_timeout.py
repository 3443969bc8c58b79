# test_waitfor.test_wait_for_cancel_suppressed / test_wait_for_reraises_exception_during_cancellation:
# work that swallows the timeout's cancellation and returns gives that value; work that fails while
# being cancelled gives that error, not TimeoutError.
import asyncio
from _conformance import Boom, name


async def stubborn():
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        return "value despite the timeout"


async def failing_on_cancel():
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        raise Boom()


async def main():
    print(await asyncio.wait_for(stubborn(), timeout=0.01))
    print(await asyncio.wait_for(asyncio.create_task(stubborn()), timeout=0.01))
    for work in (failing_on_cancel(), asyncio.create_task(failing_on_cancel())):
        try:
            await asyncio.wait_for(work, timeout=0.01)
        except BaseException as error:
            print(f"raised {name(error)}")


asyncio.run(main())
