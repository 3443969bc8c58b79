# test_timeouts.test_nested_timeouts: with the inner deadline first, the inner block raises
# TimeoutError, which the outer body may catch; the outer block does not expire.
import asyncio


async def main():
    async with asyncio.timeout(1) as outer:
        try:
            async with asyncio.timeout(0.01) as inner:
                await asyncio.sleep(10)
        except TimeoutError:
            print(f"inner TimeoutError; inner expired={inner.expired()} outer expired={outer.expired()}")
        await asyncio.sleep(0.01)
    print(f"outer finished; outer expired={outer.expired()}")


asyncio.run(main())
