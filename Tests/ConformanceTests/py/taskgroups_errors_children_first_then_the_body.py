# test_taskgroups.test_taskgroup_08 / test_taskgroup_10: the ExceptionGroup lists the children's
# errors in the order they failed, and the body's error last.
import asyncio
from _conformance import Boom, name


async def failing(delay, label):
    await asyncio.sleep(delay)
    raise Boom(label)


async def main():
    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(failing(0.01, "child error"))
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                raise Boom("body error")
    except BaseException as error:
        print(f"body fails after a child: {name(error)}")
    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(failing(0.01, "child error"))
            raise Boom("body error")
    except BaseException as error:
        print(f"body fails first: {name(error)}")


asyncio.run(main())
