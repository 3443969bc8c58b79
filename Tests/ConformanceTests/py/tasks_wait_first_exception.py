# test_tasks.test_wait_first_exception: FIRST_EXCEPTION returns when a task fails (a cancellation is
# not an exception here), or when all are done.
import asyncio
from _conformance import Boom


async def after(delay, label):
    await asyncio.sleep(delay)
    return label


async def fail_after(delay):
    await asyncio.sleep(delay)
    raise Boom()


async def main():
    slow = asyncio.create_task(after(0.5, "slow"))
    failing = asyncio.create_task(fail_after(0.02))
    cancelled = asyncio.create_task(after(1, "cancelled"))
    asyncio.get_running_loop().call_later(0.01, cancelled.cancel)
    done, pending = await asyncio.wait([slow, failing, cancelled], return_when=asyncio.FIRST_EXCEPTION)
    print(f"done: {len(done)} (failing in done: {failing in done}, cancelled in done: {cancelled in done}); pending: {len(pending)}")
    failing.exception()
    slow.cancel()


asyncio.run(main())
