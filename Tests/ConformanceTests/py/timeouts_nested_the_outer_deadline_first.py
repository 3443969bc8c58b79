# test_timeouts.test_nested_timeouts_concurrent / _loop_busy: with the outer deadline first, the inner
# block lets CancelledError through (it did not expire) and the outer block raises TimeoutError.
import asyncio
from _conformance import name


async def main():
    try:
        async with asyncio.timeout(0.01) as outer:
            try:
                async with asyncio.timeout(1) as inner:
                    await asyncio.sleep(10)
            except BaseException as error:
                print(f"inner block raised {name(error)}; inner expired={inner.expired()}")
                raise
    except TimeoutError:
        print(f"outer TimeoutError; outer expired={outer.expired()}")


asyncio.run(main())
