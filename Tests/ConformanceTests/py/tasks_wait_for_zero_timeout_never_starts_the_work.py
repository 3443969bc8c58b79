# test_waitfor.test_wait_for_timeout_less_then_0_or_0_coroutine_do_not_started /
# _future_done / test_wait_for_waits_for_task_cancellation_w_timeout_0 (3.12+): with timeout <= 0 a
# coroutine never starts and TimeoutError is raised; a done task gives its result; a pending task is
# cancelled and awaited.
import asyncio


async def work(label):
    print(f"{label} started")
    return label


async def main():
    for timeout in (0, -1):
        try:
            await asyncio.wait_for(work(f"coroutine (timeout {timeout})"), timeout=timeout)
        except TimeoutError:
            print(f"timeout {timeout}: TimeoutError")
    done = asyncio.create_task(work("done task"))
    await asyncio.sleep(0)
    print(f"done task, timeout 0: {await asyncio.wait_for(done, timeout=0)}")
    pending = asyncio.create_task(asyncio.sleep(10))
    try:
        await asyncio.wait_for(pending, timeout=0)
    except TimeoutError:
        print(f"pending task, timeout 0: TimeoutError; cancelled: {pending.cancelled()}")


asyncio.run(main())
