# test_tasks.test_wait_first_completed / test_wait_with_timeout: wait() returns (done, pending) and
# never cancels what is pending, neither on FIRST_COMPLETED nor on timeout.
import asyncio


async def after(delay, label):
    await asyncio.sleep(delay)
    print(f"{label} finished")
    return label


async def main():
    a = asyncio.create_task(after(0.01, "a"))
    b = asyncio.create_task(after(0.03, "b"))
    done, pending = await asyncio.wait([a, b], return_when=asyncio.FIRST_COMPLETED)
    print(f"first completed: done={[t.result() for t in done]} pending={len(pending)}")
    c = asyncio.create_task(after(0.5, "c"))
    done, pending = await asyncio.wait([b, c], timeout=0.1)
    print(f"timeout: done={sorted(t.result() for t in done)} pending={len(pending)}; c cancelled: {c.cancelled()}")
    await c


asyncio.run(main())
