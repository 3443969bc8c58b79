# test_tasks.test_return_exceptions: with return_exceptions=True every outcome comes back in order,
# errors and cancellations included.
import asyncio
from _conformance import Boom


async def value(v):
    await asyncio.sleep(0.01)
    return v


async def fail():
    raise Boom()


async def main():
    cancelled = asyncio.create_task(asyncio.sleep(1))
    asyncio.get_running_loop().call_soon(cancelled.cancel)
    results = await asyncio.gather(value(1), fail(), cancelled, return_exceptions=True)
    print([r if isinstance(r, int) else type(r).__name__ for r in results])


asyncio.run(main())
