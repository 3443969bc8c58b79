# test_timeouts.test_reschedule / test_timeout_disabled: a deadline can be set later, moved away, or
# moved closer, while inside the block.
import asyncio


async def main():
    loop = asyncio.get_running_loop()
    start = loop.time()
    try:
        async with asyncio.timeout(None) as scope:
            scope.reschedule(loop.time() + 0.02)
            await asyncio.sleep(1)
    except TimeoutError:
        print(f"set later: TimeoutError, not before the deadline: {loop.time() - start >= 0.019}")
    start = loop.time()
    async with asyncio.timeout(0.01) as scope:
        scope.reschedule(loop.time() + 0.5)
        await asyncio.sleep(0.03)
    print(f"moved away: finished in time; expired={scope.expired()}")
    start = loop.time()
    try:
        async with asyncio.timeout(1) as scope:
            await asyncio.sleep(0.01)
            scope.reschedule(loop.time() + 0.01)
            await asyncio.sleep(1)
    except TimeoutError:
        print(f"moved closer: TimeoutError, before the first deadline: {loop.time() - start < 0.5}")


asyncio.run(main())
