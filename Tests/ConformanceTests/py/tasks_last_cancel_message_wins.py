# test_tasks (cancel twice): a second cancel(msg) before the task runs replaces the message.
import asyncio
from _conformance import name


async def sleeper():
    await asyncio.sleep(10)


async def main():
    task = asyncio.create_task(sleeper())
    await asyncio.sleep(0)
    task.cancel("first")
    task.cancel("second")
    try:
        await task
    except asyncio.CancelledError as error:
        print(f"awaiter got {name(error)}")


asyncio.run(main())
