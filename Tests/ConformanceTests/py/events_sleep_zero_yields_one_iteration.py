# test_tasks.test_sleep_zero: sleep(0) yields to the loop for exactly one iteration; callbacks
# scheduled before it run first, tasks interleave.
import asyncio


async def worker(label):
    print(f"{label}1")
    await asyncio.sleep(0)
    print(f"{label}2")
    await asyncio.sleep(0)
    print(f"{label}3")


async def main():
    loop = asyncio.get_running_loop()
    a = asyncio.create_task(worker("a"))
    b = asyncio.create_task(worker("b"))
    loop.call_soon(print, "callback")
    await asyncio.sleep(0)
    print("main after one sleep(0)")
    await a
    await b


asyncio.run(main())
