# test_timeouts.test_timeout_basic / test_timeout_at_basic / test_waiter_cancelled: when the deadline
# passes the body is cancelled, its cancellation becomes TimeoutError at the block's exit, expired()
# turns true and when() is the deadline.
import asyncio
from _conformance import name


async def main():
    loop = asyncio.get_running_loop()
    start = loop.time()
    try:
        async with asyncio.timeout(0.05) as scope:
            print(f"when - start: {round(scope.when() - start, 2)}")
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError as error:
                print(f"body saw {name(error)}")
                raise
    except TimeoutError:
        print(f"TimeoutError, not before the deadline: {loop.time() - start >= 0.049}; expired: {scope.expired()}")
    try:
        async with asyncio.timeout_at(loop.time() + 0.01) as scope:
            await asyncio.sleep(10)
    except TimeoutError:
        print(f"timeout_at: TimeoutError; expired: {scope.expired()}")


asyncio.run(main())
