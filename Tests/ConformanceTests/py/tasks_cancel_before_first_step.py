# test_tasks.test_cancel_with_message_before_starting_task: a task cancelled before its first step
# never runs its body; it ends cancelled and awaiting it raises CancelledError with the message.
import asyncio
from _conformance import name


async def body():
    print("body started")
    return "value"


async def main():
    task = asyncio.create_task(body())
    task.cancel("early")
    try:
        await task
    except asyncio.CancelledError as error:
        print(f"await: {name(error)}")
    print(f"cancelled: {task.cancelled()}")


asyncio.run(main())
