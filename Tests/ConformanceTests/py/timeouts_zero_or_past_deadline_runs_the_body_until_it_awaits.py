# test_timeouts.test_timeout_zero / test_timeout_in_the_past_sleep_zero: a deadline already reached
# still runs the body up to its first suspension, then cancels it: TimeoutError.
import asyncio


async def main():
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(0):
            print("body started (timeout 0)")
            await asyncio.sleep(10)
            print("never")
    except TimeoutError:
        print("TimeoutError (timeout 0)")
    try:
        async with asyncio.timeout_at(loop.time() - 1):
            print("body started (deadline in the past)")
            await asyncio.sleep(0)
            print("never")
    except TimeoutError:
        print("TimeoutError (deadline in the past)")


asyncio.run(main())
