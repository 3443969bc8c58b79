# test_tasks.test_exception_chaining_after_await / test_result_exception_success: a task's exception
# is raised to its awaiter and returned by exception().
import asyncio
from _conformance import name


async def failing():
    await asyncio.sleep(0)
    raise ValueError()


async def main():
    task = asyncio.create_task(failing())
    try:
        await task
    except ValueError as error:
        print(f"await raised {name(error)}")
    print(f"exception(): {name(task.exception())}; cancelled: {task.cancelled()}")


asyncio.run(main())
